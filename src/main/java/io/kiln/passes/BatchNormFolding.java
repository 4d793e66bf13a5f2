package io.kiln.passes;

import static io.kiln.passes.Pattern.constant;
import static io.kiln.passes.Pattern.op;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Folds an inference BatchNorm into the float Conv2D, DepthwiseConv2D or FullyConnected before
 * it: with {@code k = scale / sqrt(variance + epsilon)} per output channel, the weights become
 * {@code w * k} and the bias {@code (b - mean) * k + beta}. The float sums are reassociated, so
 * results agree within float rounding, not bit for bit.
 */
final class BatchNormFolding {
  private BatchNormFolding() {}

  static final Rule FOLD = new Rule("fold-batchnorm",
      op("bn", Op.BatchNorm.class)
          .in(Op.BatchNorm.INPUT,
              op("producer", Op.Conv2D.class, Op.DepthwiseConv2D.class, Op.FullyConnected.class)
                  .oneUse().in(Op.Conv2D.FILTER, constant("w")))
          .in(Op.BatchNorm.SCALE, constant("scale"))
          .in(Op.BatchNorm.BIAS, constant("beta"))
          .in(Op.BatchNorm.MEAN, constant("mean"))
          .in(Op.BatchNorm.VARIANCE, constant("variance")),
      BatchNormFolding::fold);

  private static Rule.Outcome fold(Match m, GraphEdit e) {
    Node producer = m.node("producer");
    Value w = m.value("w");
    Value out = m.value("bn");
    if (w.dtype() != DType.FLOAT32 || out.dtype() != DType.FLOAT32) {
      return Rule.reject("only float graphs fold BatchNorm (weights are "
          + w.dtype().shortName() + ")");
    }
    if (ActivationFusion.current(producer.op()) != Op.Activation.NONE) {
      return Rule.reject(producer.op().opName() + " has fused "
          + ActivationFusion.current(producer.op()) + " before the BatchNorm");
    }
    int bias = producer.input(Op.Conv2D.BIAS);
    if (bias != Node.ABSENT && !m.graph().value(bias).isConstant()) {
      return Rule.reject("the bias is not a constant");
    }
    float eps = m.op("bn", Op.BatchNorm.class).epsilon();
    float[] gamma = m.value("scale").data().asFloats();
    float[] beta = m.value("beta").data().asFloats();
    float[] mean = m.value("mean").data().asFloats();
    float[] var = m.value("variance").data().asFloats();
    int channels = gamma.length;
    double[] k = new double[channels];
    for (int c = 0; c < channels; c++) {
      // The kernel's denominator: float add, then a float32-rounded square root.
      k[c] = gamma[c] / (double) (float) Math.sqrt(var[c] + eps);
    }
    boolean lastAxis = producer.op() instanceof Op.DepthwiseConv2D;
    float[] wf = w.data().asFloats();
    int perChannel = wf.length / channels;
    for (int i = 0; i < wf.length; i++) {
      int c = lastAxis ? i % channels : i / perChannel;
      wf[i] = (float) (wf[i] * k[c]);
    }
    float[] b = bias == Node.ABSENT ? new float[channels]
        : m.graph().value(bias).data().asFloats();
    float[] bf = new float[channels];
    for (int c = 0; c < channels; c++) {
      bf[c] = (float) (((double) b[c] - mean[c]) * k[c] + beta[c]);
    }
    int newW = e.constant(w.name() + "/bn_folded", w.type(), ConstData.ofFloats(wf));
    int newB = e.constant(out.name() + "/bias", TensorType.of(DType.FLOAT32, channels),
        ConstData.ofFloats(bf));
    List<Integer> ins = new ArrayList<>(List.of(producer.input(Op.Conv2D.INPUT), newW, newB));
    e.replace(out.id(), e.node(producer.op(), ins, out.name(), out.type()));
    return Rule.rewritten();
  }
}
