package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.ConvRequant;

/**
 * Reference FullyConnected kernel (int8 with per-tensor or per-channel weights, 16x8, float32),
 * following TFLite Micro's reference kernels bit for bit, including their two different ways of
 * computing the requantization multiplier.
 */
final class FullyConnectedKernel {
  private FullyConnectedKernel() {}

  /** The prepared shape of the matrix product: {@code batches} rows of {@code depth} inputs. */
  private record Dims(int batches, int depth, int outDepth) {}

  static Kernel prepare(Graph g, Node n, Op.FullyConnected op) {
    String where = ConvKernels.where(g, n);
    TensorType in = g.input(n, Op.FullyConnected.INPUT).type();
    TensorType w = g.input(n, Op.FullyConnected.WEIGHTS).type();
    TensorType bias = n.hasInput(Op.FullyConnected.BIAS)
        ? g.input(n, Op.FullyConnected.BIAS).type() : null;
    TensorType out = g.output(n).type();
    if (w.shape().rank() != 2) {
      throw new KilnException(where + ": weights " + w.shape() + " are not [out, in]");
    }
    int outDepth = out.shape().dim(-1);
    int depth = w.shape().dim(1);
    if (outDepth != w.shape().dim(0) || out.elements() / outDepth * depth != in.elements()) {
      throw new KilnException(where + ": input " + in.shape() + ", weights " + w.shape()
          + " and output " + out.shape() + " do not agree");
    }
    Dims dims = new Dims(out.elements() / outDepth, depth, outDepth);
    ConvKernels.Precision p = ConvKernels.precision(where, in, w, bias, out, true);
    if (p == ConvKernels.Precision.FLOAT) {
      ActivationRange.Floats range = ActivationRange.Floats.of(op.act(), where);
      return args -> runFloat(dims, range, out, args);
    }
    boolean perChannel = w.quant() instanceof Quantization.PerAxis pa && pa.channels() > 1;
    if (perChannel) {
      ConvQuantParams.requireSymmetricWeights(where, w, outDepth);
    } else {
      requireBiasScale(where, in, w, bias, out);
    }
    ConvQuantParams q = ConvQuantParams.of(where, in, out,
        ConvRequant.fullyConnected(in, w, out, outDepth, where), op.act(),
        p == ConvKernels.Precision.ACC64);
    // TFLite's per-tensor kernel is the one that honours a weight zero point.
    int weightsOffset = perChannel ? 0 : -(int) w.quant().zeroPointAt(0);
    if (w.encoding() instanceof io.kiln.ir.Encoding.NM nm && weightsOffset == 0
        && p == ConvKernels.Precision.ACC32) {
      return args -> SparseKernels.fullyConnected(dims.batches(), depth, outDepth, nm, q,
          out.dtype(), out.shape(), args);
    }
    return args -> runInt(dims, q, weightsOffset, out, args);
  }

  /**
   * TFLite's per-tensor path ({@code GetQuantizedConvolutionMultipler}) refuses a bias whose scale
   * strays from input scale * weight scale.
   */
  private static void requireBiasScale(String where, TensorType in, TensorType w,
      TensorType bias, TensorType out) {
    if (bias != null && bias.quant() instanceof Quantization.PerTensor bq) {
      double productScale = (double) in.quant().scale() * (double) w.quant().scaleAt(0);
      double scaleDiff = Math.abs(productScale - (double) bq.scale());
      if (scaleDiff / (double) out.quant().scale() > 0.02) {
        throw new KilnException(where + ": bias scale " + bq.scale() + " is not input scale *"
            + " weight scale (" + productScale + ")");
      }
    }
  }

  private static Tensor runInt(Dims d, ConvQuantParams q, int weightsOffset, TensorType out,
      Tensor[] args) {
    int[] input = args[Op.FullyConnected.INPUT].ints;
    int[] weights = args[Op.FullyConnected.WEIGHTS].ints;
    Tensor bias = ConvKernels.arg(args, Op.FullyConnected.BIAS);
    Tensor output = Tensor.zeros(out.dtype(), out.shape());
    for (int b = 0; b < d.batches(); b++) {
      for (int oc = 0; oc < d.outDepth(); oc++) {
        // int8: each term is below 2^16 in magnitude (2^15 with symmetric weights), so TFLite's
        // int32 sum is exact for depths up to 2^15; 16x8 sums in int64, far below 2^47.
        long acc = 0;
        for (int i = 0; i < d.depth(); i++) {
          int inputVal = input[b * d.depth() + i];
          int weightVal = weights[oc * d.depth() + i];
          acc += (weightVal + weightsOffset) * (inputVal + q.inputOffset());
        }
        if (bias != null) {
          acc += ConvKernels.biasAt(bias, oc);
        }
        output.ints[oc + d.outDepth() * b] = q.requantize(acc, oc);
      }
    }
    return output;
  }

  private static Tensor runFloat(Dims d, ActivationRange.Floats range, TensorType out,
      Tensor[] args) {
    float[] input = args[Op.FullyConnected.INPUT].floats;
    float[] weights = args[Op.FullyConnected.WEIGHTS].floats;
    Tensor bias = ConvKernels.arg(args, Op.FullyConnected.BIAS);
    Tensor output = Tensor.zeros(DType.FLOAT32, out.shape());
    for (int b = 0; b < d.batches(); b++) {
      for (int oc = 0; oc < d.outDepth(); oc++) {
        float total = 0f;
        for (int i = 0; i < d.depth(); i++) {
          total += input[b * d.depth() + i] * weights[oc * d.depth() + i];
        }
        float biasValue = bias != null ? bias.floats[oc] : 0f;
        output.floats[oc + d.outDepth() * b] = range.clamp(total + biasValue);
      }
    }
    return output;
  }
}
