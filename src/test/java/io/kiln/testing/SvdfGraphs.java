package io.kiln.testing;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.List;
import java.util.Random;

/**
 * Single-SVDF graphs with seeded random weights, scaled so that the state and the outputs
 * spread over their ranges (a little saturation included) instead of collapsing to zero.
 */
public final class SvdfGraphs {
  private SvdfGraphs() {}

  /** The sizes of one SVDF. */
  public record Dims(int batch, int input, int units, int rank, int memory) {
    public int filters() {
      return units * rank;
    }
  }

  /**
   * An int8 SVDF with {@code stateType} (int16 or int8) time weights and state; an int8 state
   * gets a non-zero zero point, which TFLM resets it to.
   */
  public static Graph int8(String name, long seed, Dims d, DType stateType, boolean bias) {
    Random rnd = new Random(seed);
    GraphBuilder b = new GraphBuilder(name);
    float sx = (float) (0.02 + rnd.nextDouble() * 0.03);
    int x = b.input("x", new TensorType(DType.INT8, Shape.of(d.batch(), d.input()),
        Quantization.perTensor(sx, rnd.nextInt(21) - 10)));
    float swf = (float) (0.004 + rnd.nextDouble() * 0.004);
    int wf = b.constant("weights_feature", new TensorType(DType.INT8,
        Shape.of(d.filters(), d.input()), Quantization.perTensor(swf, 0)),
        ConstData.ofInts(DType.INT8, random(rnd, d.filters() * d.input(), 127)));
    boolean int16 = stateType == DType.INT16;
    int stateMax = int16 ? 12000 : 90;
    // A typical feature projection is sqrt(input) * 64 * 64 steps of sx * swf.
    float ss = (float) (Math.sqrt(d.input()) * 64 * 64 * sx * swf / stateMax);
    int wtMax = int16 ? 20000 : 120;
    float swt = (float) (0.5 / wtMax);
    int wt = b.constant("weights_time", new TensorType(stateType,
        Shape.of(d.filters(), d.memory()), Quantization.perTensor(swt, 0)),
        ConstData.ofInts(stateType, random(rnd, d.filters() * d.memory(), wtMax)));
    int biasId = Node.ABSENT;
    float typicalSum = (float) (Math.sqrt(d.memory() * d.rank()) * wtMax / 2.0 * stateMax / 2.0);
    if (bias) {
      biasId = b.constant("bias", new TensorType(DType.INT32, Shape.of(d.units()),
          Quantization.perTensor(ss * swt, 0)),
          ConstData.ofInts(DType.INT32, random(rnd, d.units(), (int) typicalSum)));
    }
    TensorType state = new TensorType(stateType, Shape.of(d.batch(), d.memory() * d.filters()),
        Quantization.perTensor(ss, int16 ? 0 : rnd.nextInt(31) - 15));
    float so = ss * swt * typicalSum / 70f;
    int out = b.apply(new Op.Svdf(d.rank(), Op.Activation.NONE, state),
        List.of(x, wf, wt, biasId), "y", DType.INT8,
        Quantization.perTensor(so, rnd.nextInt(21) - 10));
    b.output(out);
    return b.build();
  }

  /** A float SVDF with fused activation {@code act}. */
  public static Graph float32(String name, long seed, Dims d, Op.Activation act, boolean bias) {
    Random rnd = new Random(seed);
    GraphBuilder b = new GraphBuilder(name);
    int x = b.input("x", TensorType.of(DType.FLOAT32, d.batch(), d.input()));
    int wf = b.constant("weights_feature", TensorType.of(DType.FLOAT32, d.filters(), d.input()),
        ConstData.ofFloats(floats(rnd, d.filters() * d.input())));
    int wt = b.constant("weights_time", TensorType.of(DType.FLOAT32, d.filters(), d.memory()),
        ConstData.ofFloats(floats(rnd, d.filters() * d.memory())));
    int biasId = bias ? b.constant("bias", TensorType.of(DType.FLOAT32, d.units()),
        ConstData.ofFloats(floats(rnd, d.units()))) : Node.ABSENT;
    TensorType state = TensorType.of(DType.FLOAT32, d.batch(), d.memory() * d.filters());
    int out = b.apply(new Op.Svdf(d.rank(), act, state), List.of(x, wf, wt, biasId), "y",
        DType.FLOAT32, Quantization.NONE);
    b.output(out);
    return b.build();
  }

  private static int[] random(Random rnd, int n, int max) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextInt(2 * max + 1) - max;
    }
    return v;
  }

  private static float[] floats(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextGaussian() * 0.5);
    }
    return v;
  }
}
