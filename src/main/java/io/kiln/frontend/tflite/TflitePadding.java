package io.kiln.frontend.tflite;

import io.kiln.KilnException;
import io.kiln.ir.Op.Pads;

/**
 * Resolves TFLite's SAME/VALID padding into explicit {@link Pads}, with the arithmetic of
 * TFLite's {@code padding.h} ({@code ComputePaddingHeightWidth}) so pads match what the reference
 * kernels use. Public because code that builds graphs by hand (the built-in models) states its padding
 * the way TFLite does and resolves it here rather than re-deriving the arithmetic.
 */
public final class TflitePadding {
  public static final byte SAME = org.tensorflow.lite.schema.Padding.SAME;
  public static final byte VALID = org.tensorflow.lite.schema.Padding.VALID;

  private TflitePadding() {}

  /** Padding for a sliding window (conv, depthwise conv, pooling) over an input of inH x inW. */
  public static Pads forWindow(byte padding, int strideH, int strideW, int dilationH, int dilationW,
      int inH, int inW, int filterH, int filterW) {
    int top = before(padding, strideH, dilationH, inH, filterH);
    int left = before(padding, strideW, dilationW, inW, filterW);
    int bottom = total(padding, strideH, dilationH, inH, filterH) - top;
    int right = total(padding, strideW, dilationW, inW, filterW) - left;
    return new Pads(top, left, bottom, right);
  }

  /**
   * Padding of a transposed convolution producing outH x outW. TFLite calls the same helper with
   * the output size in the "input" position (the transposed conv is the gradient of a forward conv
   * from outH to the size {@code outSize(outH)}), so the pads crop the full transposed result.
   */
  static Pads forTransposeConv(byte padding, int strideH, int strideW, int outH, int outW,
      int filterH, int filterW) {
    return forWindow(padding, strideH, strideW, 1, 1, outH, outW, filterH, filterW);
  }

  /** TFLite's {@code ComputeOutSize}: the window count SAME/VALID padding implies. */
  static int outSize(byte padding, int in, int filter, int stride, int dilation) {
    if (in < 0 || filter <= 0 || stride <= 0 || dilation <= 0) {
      throw new KilnException("invalid window: input " + in + ", filter " + filter + ", stride "
          + stride + ", dilation " + dilation + " (filter, stride and dilation must be positive)");
    }
    long effective = (long) (filter - 1) * dilation + 1;
    // C++ integer division truncates toward zero; Java's / does the same.
    long out = switch (padding) {
      case SAME -> ((long) in + stride - 1) / stride;
      case VALID -> ((long) in + stride - effective) / stride;
      default -> throw new KilnException("unknown padding type " + padding
          + " (expected SAME or VALID)");
    };
    if (out < 0 || out > Integer.MAX_VALUE) {
      throw new KilnException("window of " + filter + " does not fit input of " + in);
    }
    return (int) out;
  }

  /** total = max((out - 1) * stride + effective_filter - in, 0), as {@code ComputePaddingWithOffset}. */
  private static int total(byte padding, int stride, int dilation, int in, int filter) {
    int out = outSize(padding, in, filter, stride, dilation);
    long effective = (long) (filter - 1) * dilation + 1;
    long total = Math.max(((long) out - 1) * stride + effective - in, 0);
    if (total > Integer.MAX_VALUE) {
      throw new KilnException("padding " + total + " out of range");
    }
    return (int) total;
  }

  /** TFLite puts the smaller half before (its padding value) and the odd element after. */
  private static int before(byte padding, int stride, int dilation, int in, int filter) {
    return total(padding, stride, dilation, in, filter) / 2;
  }
}
