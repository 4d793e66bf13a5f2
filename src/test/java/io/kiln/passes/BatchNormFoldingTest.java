package io.kiln.passes;

import static io.kiln.passes.PassTesting.f32;
import static io.kiln.passes.PassTesting.floats;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import io.kiln.passes.PassTesting.Agreement;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchNormFoldingTest {
  private static final Pass PASS = new RulePass("fold-batchnorm", Rules.FOLD_BATCHNORM);

  /** producer → BatchNorm over {@code c} channels with positive variances. */
  private static int batchNorm(GraphBuilder b, int x, int c) {
    float[] var = floats(14, c).asFloats();
    for (int i = 0; i < c; i++) {
      var[i] = Math.abs(var[i]) + 0.1f;
    }
    return b.apply(new Op.BatchNorm(1e-3f), List.of(x,
        b.constant("gamma", f32(c), floats(11, c)), b.constant("beta", f32(c), floats(12, c)),
        b.constant("mean", f32(c), floats(13, c)),
        b.constant("var", f32(c), ConstData.ofFloats(var))), "bn", DType.FLOAT32,
        Quantization.NONE);
  }

  @Test
  void foldsIntoConvWeightsAndBias() {
    GraphBuilder b = new GraphBuilder("conv_bn");
    int x = b.input("x", f32(1, 5, 5, 3));
    int w = b.constant("w", f32(4, 3, 3, 3), floats(1, 108));
    int bias = b.constant("b", f32(4), floats(2, 4));
    int conv = b.apply(new Op.Conv2D(1, 1, 1, 1, new Pads(1, 1, 1, 1), Activation.NONE),
        List.of(x, w, bias), "conv", DType.FLOAT32, Quantization.NONE);
    b.output(batchNorm(b, conv, 4));
    Graph after = PassTesting.positive("fold-batchnorm.conv", PASS, b.build(),
        Agreement.FLOAT_TOLERANCE);
    assertThat(after.nodes()).extracting(n -> n.op().opName()).containsExactly("Conv2D");
  }

  @Test
  void foldsIntoDepthwiseWithoutBiasAlongTheLastAxis() {
    GraphBuilder b = new GraphBuilder("dw_bn");
    int x = b.input("x", f32(1, 4, 4, 3));
    int w = b.constant("w", f32(1, 3, 3, 6), floats(1, 54));
    int dw = b.apply(new Op.DepthwiseConv2D(1, 1, 1, 1, Pads.NONE, 2, Activation.NONE),
        List.of(x, w), "dw", DType.FLOAT32, Quantization.NONE);
    b.output(batchNorm(b, dw, 6));
    PassTesting.positive("fold-batchnorm.depthwise", PASS, b.build(), Agreement.FLOAT_TOLERANCE);
  }

  @Test
  void keepsBatchNormAfterAFusedActivationOrASharedProducer() {
    GraphBuilder b = new GraphBuilder("keep_bn");
    int x = b.input("x", f32(1, 8));
    int w = b.constant("w", f32(4, 8), floats(1, 32));
    int fc = b.apply(new Op.FullyConnected(Activation.RELU, false), List.of(x, w), "fc",
        DType.FLOAT32, Quantization.NONE);
    b.output(batchNorm(b, fc, 4));
    int fc2 = b.apply(new Op.FullyConnected(Activation.NONE, false), List.of(x, w), "fc2",
        DType.FLOAT32, Quantization.NONE);
    b.output(fc2);
    b.output(batchNorm(b, fc2, 4));
    PassTesting.negative("fold-batchnorm.negative", PASS, b.build());
  }
}
