package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Builds one-operator graphs for kernel tests and runs them through the interpreter. */
final class KernelTestGraphs {
  private KernelTestGraphs() {}

  static TensorType q(DType dt, double scale, long zeroPoint, int... dims) {
    return TensorType.quantized(dt, Shape.of(dims), scale, zeroPoint);
  }

  static TensorType f32(int... dims) {
    return TensorType.of(DType.FLOAT32, dims);
  }

  /** A graph with one node applying {@code op} to graph inputs of the given types. */
  static Graph graph(Op op, TensorType out, TensorType... ins) {
    GraphBuilder b = new GraphBuilder("t");
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < ins.length; i++) {
      ids.add(b.input("in" + i, ins[i]));
    }
    int o = b.value("out", out);
    b.node(op, ids, List.of(o));
    b.output(o);
    return b.build();
  }

  static Tensor run(Op op, TensorType out, List<TensorType> ins, Tensor... inputs) {
    return new Interpreter(graph(op, out, ins.toArray(TensorType[]::new)))
        .run(List.of(inputs)).get(0);
  }

  /** Prepares the single node of an unverified graph directly (for types the IR rejects). */
  static Kernel prepareUnverified(Op op, TensorType out, TensorType... ins) {
    Graph g = graph(op, out, ins);
    return Kernels.prepare(g, g.nodes().get(0));
  }

  static Tensor ints(TensorType t, int... values) {
    return Tensor.ofInts(t.dtype(), t.shape(), values);
  }

  static Tensor floats(TensorType t, float... values) {
    return Tensor.ofFloats(t.shape(), values);
  }
}
