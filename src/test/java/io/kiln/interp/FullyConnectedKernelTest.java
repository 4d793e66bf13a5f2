package io.kiln.interp;

import static io.kiln.interp.ConvTestSupport.floats;
import static io.kiln.interp.ConvTestSupport.ints;
import static io.kiln.interp.ConvTestSupport.longs;
import static io.kiln.interp.ConvTestSupport.perAxis;
import static io.kiln.interp.ConvTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.FixedPoint.QuantizedMultiplier;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** FullyConnected: hand-computed int8/16x8/float outputs, TFLite's two multiplier recipes, errors. */
class FullyConnectedKernelTest {

  @Test
  void int8PerTensorHonoursInputAndWeightZeroPoints() {
    GraphBuilder b = new GraphBuilder("fc");
    int in = b.input("in", q(DType.INT8, Shape.of(1, 3), 0.5, 1));
    // Weight zero point 1: effective weights [1,2,3] and [-1,0,-2].
    int w = ints(b, "w", q(DType.INT8, Shape.of(2, 3), 0.5, 1), 2, 3, 4, 0, 1, -1);
    int bias = ints(b, "b", q(DType.INT32, Shape.of(2), 0.25, 0), 10, -10);
    b.output(b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(in, w, bias), "out",
        DType.INT8, Quantization.perTensor(0.25, 5)));
    // q - 1 = [2, 4, -2]: 2 + 8 - 6 + 10 = 14 and -2 + 0 + 4 - 10 = -8; scale 1, plus 5.
    Tensor x = Tensor.ofInts(DType.INT8, Shape.of(1, 3), new int[] {3, 5, -1});
    assertThat(ConvTestSupport.run(b.build(), x).ints).containsExactly(19, -3);
  }

  @Test
  void int8PerChannelWithBatchesAndRelu() {
    GraphBuilder b = new GraphBuilder("fcpc");
    int in = b.input("in", q(DType.INT8, Shape.of(2, 2), 1.0, 0));
    int w = ints(b, "w", perAxis(DType.INT8, Shape.of(2, 2), 0, new float[] {1f, 0.5f}), 1, 1, 3,
        -1);
    b.output(b.apply(new Op.FullyConnected(Activation.RELU, false), List.of(in, w, Node.ABSENT),
        "out", DType.INT8, Quantization.perTensor(1.0, 0)));
    // Row [4, 6]: 10 and (12 - 6) * 0.5 = 3; row [-4, 6]: 2 and (-12 - 6) * 0.5 = -9 -> RELU 0.
    Tensor x = Tensor.ofInts(DType.INT8, Shape.of(2, 2), new int[] {4, 6, -4, 6});
    assertThat(ConvTestSupport.run(b.build(), x).ints).containsExactly(10, 3, 2, 0);
  }

  @Test
  void int16x8WithInt64OrInt32BiasAndSaturation() {
    for (DType biasType : new DType[] {DType.INT64, DType.INT32}) {
      GraphBuilder b = new GraphBuilder("fc16");
      int in = b.input("in", q(DType.INT16, Shape.of(1, 2), 0.5, 0));
      int w = ints(b, "w", q(DType.INT8, Shape.of(2, 2), 0.5, 0), 3, 1, 127, 127);
      TensorType bt = q(biasType, Shape.of(2), 0.25, 0);
      int bias = biasType == DType.INT64 ? longs(b, "b", bt, 500, 0) : ints(b, "b", bt, 500, 0);
      b.output(b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(in, w, bias), "out",
          DType.INT16, Quantization.perTensor(0.25, 0)));
      // 3 * 1000 - 2000 + 500 = 1500; 127 * (1000 - 2000) = -127000 saturates at -32768.
      Tensor x = Tensor.ofInts(DType.INT16, Shape.of(1, 2), new int[] {1000, -2000});
      assertThat(ConvTestSupport.run(b.build(), x).ints).as("%s bias", biasType)
          .containsExactly(1500, -32768);
    }
  }

  @Test
  void floatKeepNumDimsAndRelu6() {
    GraphBuilder b = new GraphBuilder("fcf");
    int in = b.input("in", TensorType.of(DType.FLOAT32, 1, 2, 3));
    int w = floats(b, "w", TensorType.of(DType.FLOAT32, 2, 3), 1f, 2f, 3f, -1f, 0.5f, 0f);
    int bias = floats(b, "b", TensorType.of(DType.FLOAT32, 2), 0.25f, 1f);
    int out = b.apply(new Op.FullyConnected(Activation.RELU6, true), List.of(in, w, bias), "out",
        DType.FLOAT32, Quantization.NONE);
    b.output(out);
    assertThat(b.type(out).shape()).isEqualTo(Shape.of(1, 2, 2));
    Tensor x = Tensor.ofFloats(Shape.of(1, 2, 3), new float[] {1, 0.5f, 0, -1, -1, 1});
    // Row 1: 2 + 0.25 = 2.25, -1 + 0.25 + 1 = 0.25; row 2: 0 + 0.25, 1 - 0.5 + 1 = 1.5.
    assertThat(ConvTestSupport.run(b.build(), x).floats)
        .containsExactly(2.25f, 0.25f, 0.25f, 1.5f);
    // [3, 3, 3]: 18.25 clamps to 6 and -0.5 to 0; [-3, -3, -3]: -17.75 -> 0 and 2.5.
    Tensor big = Tensor.ofFloats(Shape.of(1, 2, 3), new float[] {3, 3, 3, -3, -3, -3});
    assertThat(ConvTestSupport.run(b.build(), big).floats)
        .containsExactly(6f, 0f, 0f, 2.5f);
  }

  /**
   * TFLite's per-tensor path multiplies input and weight scale in float before widening; the
   * per-channel path (and conv) widens first. Find scales and an accumulator where the two recipes
   * disagree, and check the kernel follows the float product.
   */
  @Test
  void perTensorMultiplierUsesTheFloatProductOfScales() {
    Random r = new Random(7L);
    for (int attempt = 0; attempt < 200; attempt++) {
      float inScale = (float) (0.01 + r.nextDouble());
      float wScale = (float) (0.001 + r.nextDouble() * 0.01);
      float outScale = (float) (1 + r.nextDouble());
      QuantizedMultiplier floatProduct = FixedPoint.quantizeMultiplier(
          (double) (inScale * wScale) / (double) outScale);
      QuantizedMultiplier doubleProduct = FixedPoint.quantizeMultiplier(
          (double) inScale * (double) wScale / (double) outScale);
      if (floatProduct.equals(doubleProduct)) {
        continue;
      }
      // Large accumulators magnify the one-ulp difference; stay where int16 does not saturate.
      double real = (double) inScale * wScale / outScale;
      int top = (int) Math.min(Integer.MAX_VALUE - 1, 32000 / real);
      for (int acc = top; acc > top - 200_000; acc--) {
        int expected = FixedPoint.multiplyByQuantizedMultiplier(acc, floatProduct);
        if (expected == FixedPoint.multiplyByQuantizedMultiplier(acc, doubleProduct)) {
          continue;
        }
        // 16x8 with an int32 bias takes TFLite's 32-bit path, which keeps all 31 multiplier
        // bits. Depth 1, input 1, weight 1: the accumulator is 1 + bias.
        GraphBuilder b = new GraphBuilder("fcm");
        int in = b.input("in", q(DType.INT16, Shape.of(1, 1), inScale, 0));
        int w = ints(b, "w", q(DType.INT8, Shape.of(1, 1), wScale, 0), 1);
        int bias = ints(b, "b", TensorType.of(DType.INT32, 1), acc - 1);
        b.output(b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(in, w, bias),
            "out", DType.INT16, Quantization.perTensor(outScale, 0)));
        Tensor out = ConvTestSupport.run(b.build(),
            Tensor.ofInts(DType.INT16, Shape.of(1, 1), new int[] {1}));
        assertThat(out.ints).containsExactly(expected);
        return;
      }
    }
    throw new AssertionError("no scales found where the two multiplier recipes differ");
  }

  @Test
  void biasScaleFarFromInputTimesWeightScaleIsRejected() {
    GraphBuilder b = new GraphBuilder("fcbad");
    int in = b.input("in", q(DType.INT8, Shape.of(1, 2), 0.5, 0));
    int w = ints(b, "w", q(DType.INT8, Shape.of(1, 2), 0.5, 0), 1, 1);
    int bias = ints(b, "b", q(DType.INT32, Shape.of(1), 1.0, 0), 1);
    b.output(b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(in, w, bias), "out",
        DType.INT8, Quantization.perTensor(0.25, 0)));
    assertThatThrownBy(() -> new Interpreter(b.build())).isInstanceOf(KilnException.class)
        .hasMessageContaining("bias scale 1.0");
  }

  @Test
  void int8ActivationsWithInt16WeightsAreRejected() {
    GraphBuilder b = new GraphBuilder("fcw16");
    int in = b.input("in", q(DType.INT8, Shape.of(1, 2), 0.5, 0));
    int w = ints(b, "w", q(DType.INT16, Shape.of(1, 2), 0.5, 0), 1, 1);
    b.output(b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(in, w), "out",
        DType.INT8, Quantization.perTensor(0.25, 0)));
    assertThatThrownBy(() -> new Interpreter(b.build())).isInstanceOf(KilnException.class)
        .hasMessageContaining("i16");
  }
}
