package io.kiln.testing;

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

/**
 * Single-LSTM graphs (UNIDIRECTIONAL_SEQUENCE_LSTM as TFLM runs it) with seeded random weights,
 * scaled so that the gates' pre-activations spread over a few units and the cell state moves.
 */
public final class LstmGraphs {
  private LstmGraphs() {}

  /** The sizes of one LSTM; the input is [batch, time, input] unless {@code timeMajor}. */
  public record Dims(int batch, int time, int input, int units, boolean timeMajor) {
    public Shape inputShape() {
      return timeMajor ? Shape.of(time, batch, input) : Shape.of(batch, time, input);
    }
  }

  /** The real values an int8 graph's tensors stand for (for the test oracles). */
  public static final float HIDDEN_SCALE = 1f / 128;
  public static final float CELL_SCALE = 1f / 2048;

  /** An int8 LSTM with an int16 cell state of scale 2^-11 and hidden scale 2^-7. */
  public static Graph int8(String name, long seed, Dims d, float cellClip) {
    Random rnd = new Random(seed);
    GraphBuilder b = new GraphBuilder(name);
    float sx = (float) (0.02 + rnd.nextDouble() * 0.02);
    int x = b.input("x", new TensorType(DType.INT8, d.inputShape(),
        Quantization.perTensor(sx, rnd.nextInt(21) - 10)));
    int hiddenZp = rnd.nextInt(9) - 4;
    List<Integer> ins = new ArrayList<>(List.of(x));
    float sw = (float) (1.5 / Math.sqrt(d.input()) / 64);
    float sr = (float) (1.5 / Math.sqrt(d.units()) / 64);
    for (int g = 0; g < 4; g++) {
      ins.add(b.constant("w" + g, new TensorType(DType.INT8, Shape.of(d.units(), d.input()),
          Quantization.perTensor(sw, 0)), ConstData.ofInts(DType.INT8,
          random(rnd, d.units() * d.input(), 127))));
    }
    for (int g = 0; g < 4; g++) {
      ins.add(b.constant("r" + g, new TensorType(DType.INT8, Shape.of(d.units(), d.units()),
          Quantization.perTensor(sr, 0)), ConstData.ofInts(DType.INT8,
          random(rnd, d.units() * d.units(), 127))));
    }
    for (int g = 0; g < 4; g++) {
      float sb = sx * sw;
      ins.add(b.constant("b" + g, new TensorType(DType.INT32, Shape.of(d.units()),
          Quantization.perTensor(sb, 0)), ConstData.ofInts(DType.INT32,
          random(rnd, d.units(), (int) (1.0 / sb)))));
    }
    TensorType hidden = new TensorType(DType.INT8, Shape.of(d.batch(), d.units()),
        Quantization.perTensor(HIDDEN_SCALE, hiddenZp));
    TensorType cell = new TensorType(DType.INT16, Shape.of(d.batch(), d.units()),
        Quantization.perTensor(CELL_SCALE, 0));
    int y = b.apply(new Op.UnidirectionalLstm(Op.Activation.TANH, cellClip, d.timeMajor(),
        hidden, cell), ins, "y", DType.INT8, Quantization.perTensor(HIDDEN_SCALE, hiddenZp));
    b.output(y);
    return b.build();
  }

  /** A float LSTM. */
  public static Graph float32(String name, long seed, Dims d, float cellClip) {
    Random rnd = new Random(seed);
    GraphBuilder b = new GraphBuilder(name);
    int x = b.input("x", new TensorType(DType.FLOAT32, d.inputShape(), Quantization.NONE));
    List<Integer> ins = new ArrayList<>(List.of(x));
    for (int g = 0; g < 4; g++) {
      ins.add(b.constant("w" + g, TensorType.of(DType.FLOAT32, d.units(), d.input()),
          ConstData.ofFloats(floats(rnd, d.units() * d.input(), 1.0 / Math.sqrt(d.input())))));
    }
    for (int g = 0; g < 4; g++) {
      ins.add(b.constant("r" + g, TensorType.of(DType.FLOAT32, d.units(), d.units()),
          ConstData.ofFloats(floats(rnd, d.units() * d.units(), 1.0 / Math.sqrt(d.units())))));
    }
    for (int g = 0; g < 4; g++) {
      ins.add(b.constant("b" + g, TensorType.of(DType.FLOAT32, d.units()),
          ConstData.ofFloats(floats(rnd, d.units(), 0.5))));
    }
    TensorType state = TensorType.of(DType.FLOAT32, d.batch(), d.units());
    int y = b.apply(new Op.UnidirectionalLstm(Op.Activation.TANH, cellClip, d.timeMajor(),
        state, state), ins, "y", DType.FLOAT32, Quantization.NONE);
    b.output(y);
    return b.build();
  }

  private static int[] random(Random rnd, int n, int max) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextInt(2 * max + 1) - max;
    }
    return v;
  }

  private static float[] floats(Random rnd, int n, double sigma) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextGaussian() * sigma);
    }
    return v;
  }
}
