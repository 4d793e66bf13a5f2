package io.kiln.bench;

import io.kiln.frontend.tflite.TfliteWriter;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.prune.NmPruner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Helpers of {@code bench/sparse.sh} (not a test): writes the single-layer models of the N:M
 * benchmark, seeded float calibration inputs, and measures the top-1 agreement of two int8
 * classifiers on seeded random inputs in Kiln's interpreter.
 *
 * <pre>
 *   layers DIR            conv_C{32..256}_{dense,1x4,1x8,1x16}.tflite, fc_C{256..2048}_...
 *   calib FILE N LO HI    N float32 samples for a [1,32,32,3] input, uniform in [LO, HI)
 *   agree A B N SEED      top-1 agreement of models A and B on N seeded int8 inputs
 * </pre>
 */
public final class SparseBench {
  private SparseBench() {}

  public static void main(String[] args) throws IOException {
    switch (args[0]) {
      case "layers" -> layers(Path.of(args[1]));
      case "calib" -> calib(Path.of(args[1]), Integer.parseInt(args[2]),
          Double.parseDouble(args[3]), Double.parseDouble(args[4]));
      case "agree" -> agree(args[1], args[2], Integer.parseInt(args[3]),
          Long.parseLong(args[4]));
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  private static void layers(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (int c : new int[] {32, 64, 128, 256}) {
      write(dir, "conv_C" + c, c, true);
    }
    for (int c : new int[] {256, 512, 1024, 2048}) {
      write(dir, "fc_C" + c, c, false);
    }
  }

  /** One layer with K = 256 outputs, its weights dense and pruned to each format. */
  private static void write(Path dir, String name, int c, boolean conv) throws IOException {
    SplittableRandom rng = new SplittableRandom(c * (conv ? 7 : 13));
    int k = 256;
    int length = conv ? 9 * c : c;
    int[] w = new int[k * length];
    for (int i = 0; i < w.length; i++) {
      w[i] = rng.nextInt(255) - 127;
    }
    int[] bias = new int[k];
    for (int i = 0; i < k; i++) {
      bias[i] = rng.nextInt(8001) - 4000;
    }
    float[] scales = new float[k];
    for (int i = 0; i < k; i++) {
      scales[i] = (float) (0.002 + rng.nextDouble() * 0.01);
    }
    String[] tags = {"dense", "1x4", "1x8", "1x16"};
    Encoding.NM[] formats = {null, new Encoding.NM(1, 4), new Encoding.NM(1, 8),
        new Encoding.NM(1, 16)};
    for (int f = 0; f < tags.length; f++) {
      int[] weights = formats[f] == null ? w : NmPruner.prune(w, k, formats[f]);
      int terms = formats[f] == null ? length : formats[f].valuesPerRow(length);
      double inScale = 0.03;
      double outScale = inScale * 0.007 * Math.sqrt(terms) * 70 * 70 / 50;
      GraphBuilder b = new GraphBuilder(name + "_" + tags[f]);
      Shape inShape = conv ? Shape.of(1, 8, 8, c) : Shape.of(1, c);
      int x = b.input("x", new TensorType(DType.INT8, inShape, Quantization.perTensor(inScale, 3)));
      Shape ws = conv ? Shape.of(k, 3, 3, c) : Shape.of(k, c);
      int wid = b.constant("w", new TensorType(DType.INT8, ws,
          new Quantization.PerAxis(0, scales, new long[k])), ConstData.ofInts(DType.INT8, weights));
      int bid = b.constant("b", new TensorType(DType.INT32, Shape.of(k), Quantization.NONE),
          ConstData.ofInts(DType.INT32, bias));
      Op op = conv ? new Op.Conv2D(1, 1, 1, 1, new Op.Pads(1, 1, 1, 1), Op.Activation.RELU)
          : new Op.FullyConnected(Op.Activation.NONE, true);
      int y = b.apply(op, List.of(x, wid, bid), "y", DType.INT8,
          Quantization.perTensor(outScale, -5));
      b.output(y);
      Files.write(dir.resolve(name + "_" + tags[f] + ".tflite"), TfliteWriter.write(b.build()));
    }
  }

  private static void calib(Path file, int n, double lo, double hi) throws IOException {
    SplittableRandom rng = new SplittableRandom(2026);
    ByteBuffer b = ByteBuffer.allocate(n * 32 * 32 * 3 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n * 32 * 32 * 3; i++) {
      b.putFloat((float) (lo + rng.nextDouble() * (hi - lo)));
    }
    Files.write(file, b.array());
  }

  private static void agree(String a, String b, int n, long seed) {
    Graph ga = Pipeline.DEFAULT.apply(ModelSource.load(a));
    Graph gb = Pipeline.DEFAULT.apply(ModelSource.load(b));
    Interpreter ia = new Interpreter(ga);
    Interpreter ib = new Interpreter(gb);
    TensorType in = ga.inputValues().get(0).type();
    SplittableRandom rng = new SplittableRandom(seed);
    int same = 0;
    for (int s = 0; s < n; s++) {
      byte[] x = new byte[in.elements()];
      for (int i = 0; i < x.length; i++) {
        x[i] = (byte) rng.nextInt(256);
      }
      Tensor t = Tensor.fromBytes(in.dtype(), in.shape(), x);
      same += argmax(ia.run(List.of(t)).get(0).ints) == argmax(ib.run(List.of(t)).get(0).ints)
          ? 1 : 0;
    }
    long sparse = gb.values().stream().filter(v -> v.type().encoding() instanceof Encoding.NM)
        .count();
    System.out.printf(Locale.ROOT, "agree %d %d sparse_tensors %d%n", same, n, sparse);
  }

  private static int argmax(int[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      if (x[i] > x[best]) {
        best = i;
      }
    }
    return best;
  }

}
