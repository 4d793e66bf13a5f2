package io.kiln.interp;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small helpers the kernel tests share to build one-operator graphs and run them. */
final class ConvTestSupport {
  private ConvTestSupport() {}

  static TensorType q(DType d, Shape s, double scale, long zp) {
    return TensorType.quantized(d, s, scale, zp);
  }

  static TensorType perAxis(DType d, Shape s, int axis, float[] scales) {
    return new TensorType(d, s, new Quantization.PerAxis(axis, scales, new long[scales.length]));
  }

  static int ints(GraphBuilder b, String name, TensorType t, int... values) {
    return b.constant(name, t, ConstData.ofInts(t.dtype(), values));
  }

  static int longs(GraphBuilder b, String name, TensorType t, long... values) {
    return b.constant(name, t, ConstData.ofLongs(values));
  }

  static int floats(GraphBuilder b, String name, TensorType t, float... values) {
    return b.constant(name, t, ConstData.ofFloats(values));
  }

  /** Builds a graph with one input and one node, returning the graph. */
  static Graph single(TensorType inType, Op op, DType outDtype, Quantization outQuant,
      java.util.function.Function<GraphBuilder, List<Integer>> otherInputs) {
    GraphBuilder b = new GraphBuilder("t");
    int in = b.input("in", inType);
    List<Integer> ins = new ArrayList<>();
    ins.add(in);
    ins.addAll(otherInputs.apply(b));
    int out = b.apply(op, ins, "out", outDtype, outQuant);
    b.output(out);
    return b.build();
  }

  static Tensor run(Graph g, Tensor input) {
    return new Interpreter(g).run(List.of(input)).get(0);
  }

  static int[] randomInts(Random r, int n, int lo, int hi) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = lo + r.nextInt(hi - lo + 1);
    }
    return v;
  }

  static float[] randomFloats(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian());
    }
    return v;
  }
}
