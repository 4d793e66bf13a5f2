package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * What one layer's emitter sees: its node and types, the C source to append its tables and
 * function to, and the weights registry. The emitter declares its function's pointer
 * parameters with {@link #beginFunction}; the run function then calls it with each value's
 * storage.
 */
final class LayerContext {
  private final Graph graph;
  private final Node node;
  private final int index;
  private final CSource src;
  private final Weights weights;
  private final List<Integer> paramValues = new ArrayList<>();
  private String function;
  private String kernel = "plain-c";
  private String kernelReason = "the portable C kernel";
  private long scratchBytes;

  /**
   * Whether layer functions are declared {@code KILN_DSP_KERNEL} (kiln_dsp.h): out of line and
   * compiled so that the kernels keep their accumulators in registers.
   */
  private final boolean noinline;

  LayerContext(Graph graph, Node node, int index, CSource src, Weights weights,
      boolean noinline) {
    this.noinline = noinline;
    this.graph = graph;
    this.node = node;
    this.index = index;
    this.src = src;
    this.weights = weights;
  }

  Graph graph() {
    return graph;
  }

  Node node() {
    return node;
  }

  int index() {
    return index;
  }

  CSource src() {
    return src;
  }

  TensorType in(int slot) {
    return graph.input(node, slot).type();
  }

  TensorType out() {
    return graph.output(node).type();
  }

  boolean has(int slot) {
    return node.hasInput(slot);
  }

  /** The C array holding constant input {@code slot}; fails if that input is computed. */
  String constant(int slot) {
    int id = node.input(slot);
    if (!graph.value(id).isConstant()) {
      throw unsupported("a non-constant " + slotName(slot));
    }
    return weights.use(graph.value(id));
  }

  /** The data of constant input {@code slot} as ints. */
  int[] constantInts(int slot) {
    var v = graph.input(node, slot);
    return v.data().asInts(v.dtype());
  }

  /** Name of a per-layer table or helper, e.g. {@code kiln_l3_mult}. */
  String name(String what) {
    return "kiln_l" + index + "_" + what;
  }

  /**
   * Opens {@code static void kiln_l<k>_<what>(...)} with one pointer per given input slot
   * (const, of that input's element type) and then {@code out}.
   */
  void beginFunction(String what, int[] slots, String[] names) {
    function = name(what);
    StringBuilder sig = new StringBuilder(noinline ? "KILN_DSP_KERNEL " : "")
        .append("static void ").append(function).append('(');
    for (int i = 0; i < slots.length; i++) {
      int id = node.input(slots[i]);
      paramValues.add(id);
      sig.append("const ").append(CSource.ctype(graph.type(id).dtype())).append(" *restrict ")
          .append(names[i]).append(", ");
    }
    sig.append(CSource.ctype(out().dtype())).append(" *restrict out)");
    src.open(sig.toString());
  }

  void endFunction() {
    src.close().blank();
  }

  String function() {
    return function;
  }

  Weights weights() {
    return weights;
  }

  /** Records which kernel the layer got and why, for the compile report. */
  void kernel(String name, String reason) {
    kernel = name;
    kernelReason = reason;
  }

  String kernel() {
    return kernel;
  }

  String kernelReason() {
    return kernelReason;
  }

  /** Records the stack bytes the layer's kernel uses for buffers (widened columns). */
  void scratch(long bytes) {
    scratchBytes = bytes;
  }

  long scratchBytes() {
    return scratchBytes;
  }

  List<Integer> paramValues() {
    return paramValues;
  }

  /** Requires {@code dtype} on input {@code slot}. */
  void requireType(int slot, DType dtype) {
    if (in(slot).dtype() != dtype) {
      throw unsupported(in(slot).dtype().shortName() + " " + slotName(slot));
    }
  }

  void requireOutType(DType dtype) {
    if (out().dtype() != dtype) {
      throw unsupported(out().dtype().shortName() + " output");
    }
  }

  /** The operator and its output, as prefix of errors found while deriving its parameters. */
  String where() {
    return node.op().opName() + " '" + graph.output(node).name() + "'";
  }

  /** The one-line error for an operator variant the CPU target cannot generate code for. */
  KilnException unsupported(String what) {
    return new UnsupportedLayers.Unsupported(node.op().opName(), index, what);
  }

  private static String slotName(int slot) {
    return "input " + slot;
  }
}
