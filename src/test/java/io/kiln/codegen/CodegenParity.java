package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Test helper: generates C for a graph, builds it with ASan and UBSan, runs a batch of seeded
 * random samples (every graph input filled: integers uniformly over their dtype, floats in
 * [-2, 2)) and requires the outputs to be the interpreter's byte for byte.
 */
public final class CodegenParity {
  private CodegenParity() {}

  private static final java.util.Map<Path, List<byte[]>> LAST =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** What the generated program wrote in the last check built in {@code dir}, per output. */
  public static List<byte[]> lastOutputs(Path dir) {
    return LAST.get(dir);
  }

  /** Samples per run: the C side runs them as one {@code --batch}. */
  public static final int BATCH = 3;

  public static void assertMatchesInterpreter(Graph g, Path dir, long seed) throws IOException {
    assertMatchesInterpreter(g, dir, randomInputs(g, seed));
  }

  /** Seeded random bytes for BATCH samples of every graph input. */
  public static List<byte[]> randomInputs(Graph g, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Value> ins = g.inputValues();
    List<byte[]> files = new ArrayList<>();
    for (Value in : ins) {
      ByteBuffer all = ByteBuffer.allocate((int) in.type().bytes() * BATCH)
          .order(ByteOrder.LITTLE_ENDIAN);
      for (long i = 0; i < in.type().elements() * BATCH; i++) {
        switch (in.dtype()) {
          case FLOAT32 -> all.putFloat((float) (rng.nextDouble() * 4 - 2));
          case INT16 -> all.putShort((short) rng.nextInt(65536));
          case INT32 -> all.putInt(rng.nextInt());
          default -> all.put((byte) rng.nextInt(256));
        }
      }
      files.add(all.array());
    }
    return files;
  }

  /** As above with given inputs: per graph input, BATCH samples one after the other. */
  public static void assertMatchesInterpreter(Graph g, Path dir, List<byte[]> files)
      throws IOException {
    NativeBuild.assumeGcc();
    List<Value> ins = g.inputValues();
    CpuCodegen.generate(g, dir, CodegenOptions.defaults());
    Path host = NativeBuild.compile(dir, NativeBuild.SANITIZE, "kiln_host");
    List<byte[]> generated = NativeBuild.run(host, files, BATCH, g.outputs().size());
    LAST.put(dir, generated);
    Interpreter interp = new Interpreter(g);
    List<ByteBuffer> expected = new ArrayList<>();
    for (Value o : g.outputValues()) {
      expected.add(ByteBuffer.allocate((int) o.type().bytes() * BATCH));
    }
    for (int s = 0; s < BATCH; s++) {
      List<Tensor> sample = new ArrayList<>();
      for (int k = 0; k < ins.size(); k++) {
        int per = (int) ins.get(k).type().bytes();
        sample.add(Tensor.fromBytes(ins.get(k).dtype(), ins.get(k).shape(),
            Arrays.copyOfRange(files.get(k), s * per, (s + 1) * per)));
      }
      List<Tensor> out = interp.run(sample);
      for (int o = 0; o < out.size(); o++) {
        expected.get(o).put(out.get(o).toBytes());
      }
    }
    for (int o = 0; o < expected.size(); o++) {
      assertThat(generated.get(o)).as("%s output %d: generated C vs interpreter", g.name(), o)
          .isEqualTo(expected.get(o).array());
    }
  }
}
