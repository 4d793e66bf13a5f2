import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.CompileResult;
import io.kiln.codegen.CpuCodegen;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.plan.memory.Lifetime;
import io.kiln.plan.memory.Lifetimes;
import io.kiln.plan.memory.LowerBound;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Benchmark helper for bench/cpu.sh: compiles a model to C with Kiln's CPU code generator and
 * prints one line of key=value facts (arena, lower bounds, weights, MACs), or times repeated
 * compiles inside one warm JVM.
 *
 * <pre>
 *   CompileBench gen MODEL OUTDIR        one compile (the shell times the whole process)
 *   CompileBench warm MODEL REPS TMPDIR  REPS compiles in this JVM; median milliseconds
 * </pre>
 */
public final class CompileBench {
  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("gen")) {
      Graph g = ModelSource.load(args[1]);
      CompileResult r = CpuCodegen.generate(g, Path.of(args[2]), CodegenOptions.defaults());
      facts(g, r);
    } else if (args.length == 4 && args[0].equals("warm")) {
      int reps = Integer.parseInt(args[2]);
      Path tmp = Path.of(args[3]);
      double[] ms = new double[reps];
      // A few unmeasured compiles first, so the JIT has seen the code generator.
      for (int i = 0; i < 3; i++) {
        CpuCodegen.generate(ModelSource.load(args[1]), tmp.resolve("w" + i),
            CodegenOptions.defaults());
      }
      for (int i = 0; i < reps; i++) {
        long t0 = System.nanoTime();
        CpuCodegen.generate(ModelSource.load(args[1]), tmp.resolve("r" + i),
            CodegenOptions.defaults());
        ms[i] = (System.nanoTime() - t0) / 1e6;
      }
      Arrays.sort(ms);
      double median = reps % 2 == 1 ? ms[reps / 2] : (ms[reps / 2 - 1] + ms[reps / 2]) / 2;
      System.out.printf(Locale.ROOT, "warm_ms=%.2f%n", median);
    } else {
      System.err.println("usage: CompileBench gen MODEL OUTDIR | warm MODEL REPS TMPDIR");
      System.exit(2);
    }
  }

  /**
   * Prints what the table needs. Kiln keeps graph inputs and outputs in the caller's buffers,
   * so its own lower bound is over the remaining activations; the bound with inputs and outputs
   * counted is the one comparable with TFLM's arena, which holds them.
   */
  private static void facts(Graph g, CompileResult r) {
    List<Lifetime> all = Lifetimes.of(g);
    Set<Integer> io = new HashSet<>(g.inputs());
    io.addAll(g.outputs());
    List<Lifetime> inner = new ArrayList<>();
    for (Lifetime l : all) {
      if (!io.contains(l.id())) {
        OptionalInt alias = l.aliasOf().isPresent() && !io.contains(l.aliasOf().getAsInt())
            ? l.aliasOf() : OptionalInt.empty();
        inner.add(new Lifetime(l.id(), l.name(), l.bytes(), l.firstStep(), l.lastStep(), alias));
      }
    }
    long inBytes = 0;
    boolean floatIn = false;
    for (int id : g.inputs()) {
      inBytes += g.type(id).bytes();
      floatIn |= g.type(id).dtype() == DType.FLOAT32;
    }
    long outBytes = 0;
    for (int id : g.outputs()) {
      outBytes += g.type(id).bytes();
    }
    long macs = 0;
    for (CompileResult.Layer l : r.layers()) {
      macs += l.macs();
    }
    System.out.printf(Locale.ROOT,
        "arena=%d lower_bound=%d lower_bound_io=%d input_bytes=%d output_bytes=%d weights=%d"
            + " macs=%d float_input=%d%n",
        r.arenaBytes(), LowerBound.of(inner, 4), LowerBound.of(all, 4), inBytes, outBytes,
        r.weightBytes(), macs, floatIn ? 1 : 0);
  }
}
