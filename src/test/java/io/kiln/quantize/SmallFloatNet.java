package io.kiln.quantize;

import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small seeded float classifier with every operator kind the quantizer handles specially:
 * conv + ReLU, depthwise + ReLU6, a residual Add, average pool, reshape, FC and softmax.
 */
final class SmallFloatNet {
  static final Shape INPUT = Shape.of(1, 8, 8, 3);

  private SmallFloatNet() {}

  static Graph build(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    GraphBuilder b = new GraphBuilder("small");
    int x = b.input("x", new TensorType(DType.FLOAT32, INPUT, Quantization.NONE));
    Op.Pads same = new Op.Pads(1, 1, 1, 1);
    int c1 = b.apply(new Op.Conv2D(1, 1, 1, 1, same, Activation.RELU),
        List.of(x, weights(b, rng, "w1", 8, 3, 3, 3), weights(b, rng, "b1", 8)), "conv1",
        DType.FLOAT32, Quantization.NONE);
    int d = b.apply(new Op.DepthwiseConv2D(1, 1, 1, 1, same, 1, Activation.RELU6),
        List.of(c1, weights(b, rng, "wd", 1, 3, 3, 8), weights(b, rng, "bd", 8)), "dw",
        DType.FLOAT32, Quantization.NONE);
    int c2 = b.apply(new Op.Conv2D(1, 1, 1, 1, Op.Pads.NONE, Activation.NONE),
        List.of(d, weights(b, rng, "w2", 8, 1, 1, 8), weights(b, rng, "b2", 8)), "conv2",
        DType.FLOAT32, Quantization.NONE);
    int sum = b.apply(new Op.Add(Activation.RELU), List.of(c1, c2), "residual", DType.FLOAT32,
        Quantization.NONE);
    int pool = b.apply(new Op.AveragePool2D(8, 8, 8, 8, Op.Pads.NONE, Activation.NONE),
        List.of(sum), "pool", DType.FLOAT32, Quantization.NONE);
    int flat = b.apply(new Op.Reshape(Shape.of(1, 8)), List.of(pool), "flat", DType.FLOAT32,
        Quantization.NONE);
    int fc = b.apply(new Op.FullyConnected(Activation.NONE, false),
        List.of(flat, weights(b, rng, "wf", 4, 8), weights(b, rng, "bf", 4)), "logits",
        DType.FLOAT32, Quantization.NONE);
    int sm = b.apply(new Op.Softmax(1f), List.of(fc), "probs", DType.FLOAT32, Quantization.NONE);
    b.output(sm);
    return b.build();
  }

  private static int weights(GraphBuilder b, SplittableRandom rng, String name, int... dims) {
    Shape s = Shape.of(dims);
    float[] w = new float[s.elements()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rng.nextGaussian() * 0.5);
    }
    return b.constant(name, new TensorType(DType.FLOAT32, s, Quantization.NONE),
        ConstData.ofFloats(w));
  }

  /** Seeded inputs uniform in [0, 1). */
  static List<List<Tensor>> inputs(long seed, int count) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<List<Tensor>> out = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      float[] x = new float[INPUT.elements()];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) rng.nextDouble();
      }
      out.add(List.of(Tensor.ofFloats(INPUT, x)));
    }
    return out;
  }
}
