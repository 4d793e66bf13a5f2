package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;

/** Inference batch normalization over the last axis, in float32 as ONNX's reference computes it. */
final class BatchNormKernel {
  private BatchNormKernel() {}

  static Kernel prepare(Graph g, Node n, Op.BatchNorm op) {
    Value in = g.input(n, Op.BatchNorm.INPUT);
    Value out = g.output(n);
    for (int slot = Op.BatchNorm.INPUT; slot <= Op.BatchNorm.VARIANCE; slot++) {
      if (g.input(n, slot).dtype() != DType.FLOAT32) {
        throw ElementwiseSupport.unsupportedTypes(g, n);
      }
    }
    int channels = in.shape().dim(-1);
    float eps = op.epsilon();
    return inputs -> {
      float[] x = inputs[Op.BatchNorm.INPUT].floats;
      float[] scale = inputs[Op.BatchNorm.SCALE].floats;
      float[] bias = inputs[Op.BatchNorm.BIAS].floats;
      float[] mean = inputs[Op.BatchNorm.MEAN].floats;
      float[] var = inputs[Op.BatchNorm.VARIANCE].floats;
      float[] o = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        int c = i % channels;
        // (x - mean) / sqrt(var + eps) * scale + bias, each step rounded to float32.
        float denom = (float) Math.sqrt(var[c] + eps);
        o[i] = (x[i] - mean[c]) / denom * scale[c] + bias[c];
      }
      return Tensor.ofFloats(out.shape(), o);
    };
  }
}
