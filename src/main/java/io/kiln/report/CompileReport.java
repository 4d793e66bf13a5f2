package io.kiln.report;

import io.kiln.codegen.ArenaLayout;
import io.kiln.codegen.CompileResult;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.plan.memory.Lifetime;
import io.kiln.plan.memory.LinearPlanner;
import io.kiln.plan.memory.LowerBound;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@code kiln compile} tells the user about one compile: every layer with its shapes, MACs
 * and where its output lives, and the memory totals (arena next to its lower bound and the
 * no-reuse baseline, weights, and the compiled object's sections). Plain data; the text and JSON
 * forms are rendered by {@link CompileReportText} and {@link CompileReportJson}.
 *
 * @param files the generated files, in the order they were written
 */
public record CompileReport(String model, String target, String outputDir, List<String> files,
    List<Tensor> inputs, List<Tensor> outputs, List<Layer> layers, Totals totals,
    ObjectSizes objectSizes) {

  /** Where a layer's output lives: in the static arena, or in a buffer the caller passes. */
  public static final String ARENA = "arena";
  public static final String IO = "io";

  public CompileReport {
    Objects.requireNonNull(model);
    Objects.requireNonNull(target);
    Objects.requireNonNull(outputDir);
    Objects.requireNonNull(totals);
    Objects.requireNonNull(objectSizes);
    files = List.copyOf(files);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    layers = List.copyOf(layers);
  }

  /** A tensor as the report shows it: element type and shape. */
  public record Tensor(String dtype, List<Integer> shape, long bytes) {
    public Tensor {
      shape = List.copyOf(shape);
    }

    static Tensor of(TensorType t) {
      List<Integer> dims = new ArrayList<>();
      for (int d : t.shape().dims()) {
        dims.add(d);
      }
      return new Tensor(t.dtype().shortName(), dims, t.bytes());
    }

    /** {@code i8[1,49,10,1]}, the IR's own spelling. */
    public String text() {
      StringBuilder sb = new StringBuilder(dtype).append('[');
      for (int i = 0; i < shape.size(); i++) {
        sb.append(i > 0 ? "," : "").append(shape.get(i));
      }
      return sb.append(']').toString();
    }
  }

  /**
   * One layer of the generated run function.
   *
   * @param inputs the activation inputs (weights and biases are counted in {@code weight_bytes})
   * @param storage {@link #ARENA} or {@link #IO} (a caller's output buffer)
   * @param arenaOffset byte offset of the output in the arena, null when {@code storage} is io
   * @param scratchBytes stack bytes the kernel's buffers take beyond its output (the DSP
   *     kernels' widened columns; the plain C kernels' small patches are not counted)
   * @param kernel the kernel the layer got ({@code plain-c}, {@code dsp-gemm-1x1}, ...)
   * @param kernelReason why the code generator chose it
   */
  public record Layer(int index, String op, List<Tensor> inputs, Tensor output, long macs,
      String storage, Long arenaOffset, long outputBytes, long scratchBytes, String kernel,
      String kernelReason) {
    public Layer {
      inputs = List.copyOf(inputs);
      if (!storage.equals(ARENA) && !storage.equals(IO)) {
        throw new IllegalArgumentException("storage must be arena or io, got " + storage);
      }
      if ((arenaOffset != null) != storage.equals(ARENA)) {
        throw new IllegalArgumentException("an arena offset goes with arena storage only");
      }
    }
  }

  /**
   * Network totals.
   *
   * @param arenaBytes the static arena of the generated code
   * @param arenaLowerBoundBytes the most bytes live in that arena at any one layer: no plan of
   *     the same buffers can be smaller
   * @param arenaBaselineBytes the same buffers placed one after another with no reuse
   * @param weightBytes the constant weights and biases (flash)
   * @param stateBytes static RAM kept from one run to the next (stateful operators such as the
   *     audio front-end's noise estimate), outside the arena
   */
  public record Totals(int layers, long macs, long arenaBytes, long arenaLowerBoundBytes,
      long arenaBaselineBytes, long weightBytes, long scratchBytes, long inputBytes,
      long outputBytes, long stateBytes) {}

  /**
   * Builds the report of a finished CPU compile of {@code graph}. The lower bound and the baseline
   * are computed over exactly the buffers the generated code keeps in its arena
   * ({@link ArenaLifetimes}), so all three arena figures compare like with like.
   */
  public static CompileReport of(Graph graph, String target, CompileResult result,
      ObjectSizes sizes) {
    List<Layer> layers = new ArrayList<>();
    long macs = 0;
    long scratch = 0;
    for (CompileResult.Layer l : result.layers()) {
      Node n = graph.nodes().get(l.index());
      List<Tensor> ins = new ArrayList<>();
      for (int id : n.inputs()) {
        if (id != Node.ABSENT && !graph.value(id).isConstant()) {
          ins.add(Tensor.of(graph.type(id)));
        }
      }
      boolean arena = l.arenaOffset() >= 0;
      layers.add(new Layer(l.index(), l.op(), ins, Tensor.of(graph.output(n).type()), l.macs(),
          arena ? ARENA : IO, arena ? l.arenaOffset() : null, l.outputBytes(), l.scratchBytes(),
          l.kernel(), l.kernelReason()));
      macs += l.macs();
      scratch = Math.max(scratch, l.scratchBytes());
    }
    List<Lifetime> lifetimes = ArenaLifetimes.of(graph, result);
    long lowerBound = LowerBound.of(lifetimes, ArenaLayout.ALIGNMENT);
    long baseline = new LinearPlanner().plan(lifetimes, ArenaLayout.ALIGNMENT).arenaBytes();
    List<Tensor> inputs = graph.inputValues().stream().map(v -> Tensor.of(v.type())).toList();
    List<Tensor> outputs = graph.outputValues().stream().map(v -> Tensor.of(v.type())).toList();
    Totals totals = new Totals(layers.size(), macs, result.arenaBytes(), lowerBound, baseline,
        result.weightBytes(), scratch, bytes(graph.inputValues()), bytes(graph.outputValues()),
        stateBytes(graph));
    return new CompileReport(graph.name(), target, result.outDir().toString(), result.files(),
        inputs, outputs, layers, totals, sizes);
  }

  /** The state stateful operators keep between runs (the generated C's static state). */
  public static long stateBytes(Graph graph) {
    return io.kiln.ir.OpState.bytes(graph);
  }

  private static long bytes(List<Value> values) {
    long sum = 0;
    for (Value v : values) {
      sum += v.type().bytes();
    }
    return sum;
  }
}
