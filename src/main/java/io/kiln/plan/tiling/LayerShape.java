package io.kiln.plan.tiling;

/**
 * The loop nest of one convolution-like layer as the tiler sees it: output channels {@code k},
 * input channels {@code c}, input and output spatial sizes, kernel, stride, dilation and padding.
 * A depthwise layer has {@code k == c} and each output channel reads only its own input channel; a
 * fully-connected layer is the 1×1 case with a 1×1 image.
 *
 * <p>The output size is given, not derived, so that callers keep whatever padding convention
 * their front end used; the constructor checks that the input, padding and kernel produce it.
 */
public record LayerShape(
    int k,
    int c,
    int iy,
    int ix,
    int oy,
    int ox,
    int fy,
    int fx,
    int strideY,
    int strideX,
    int dilationY,
    int dilationX,
    int padTop,
    int padLeft,
    boolean depthwise) {

  public LayerShape {
    positive("k", k);
    positive("c", c);
    positive("iy", iy);
    positive("ix", ix);
    positive("oy", oy);
    positive("ox", ox);
    positive("fy", fy);
    positive("fx", fx);
    positive("strideY", strideY);
    positive("strideX", strideX);
    positive("dilationY", dilationY);
    positive("dilationX", dilationX);
    if (padTop < 0 || padLeft < 0) {
      throw new IllegalArgumentException("padding must not be negative: top " + padTop + ", left " + padLeft);
    }
    if (depthwise && k != c) {
      throw new IllegalArgumentException("a depthwise layer has as many output as input channels, got k=" + k + ", c=" + c);
    }
    // Every output position must read at least one real input row/column, and the last one must
    // start inside the input plus at most the kernel's reach of bottom padding.
    checkAxis("rows", iy, oy, fy, strideY, dilationY, padTop);
    checkAxis("columns", ix, ox, fx, strideX, dilationX, padLeft);
  }

  /** A standard convolution. */
  public static LayerShape conv(int k, int c, int iy, int ix, int fy, int fx, int stride, int dilation,
      int padTop, int padBottom, int padLeft, int padRight) {
    int oy = (iy + padTop + padBottom - ((fy - 1) * dilation + 1)) / stride + 1;
    int ox = (ix + padLeft + padRight - ((fx - 1) * dilation + 1)) / stride + 1;
    return new LayerShape(k, c, iy, ix, oy, ox, fy, fx, stride, stride, dilation, dilation, padTop, padLeft, false);
  }

  /** A convolution with TFLite's SAME padding (extra padding at the bottom/right). */
  public static LayerShape convSame(int k, int c, int iy, int ix, int fy, int fx, int stride) {
    int oy = (iy + stride - 1) / stride;
    int ox = (ix + stride - 1) / stride;
    int padY = Math.max(0, (oy - 1) * stride + fy - iy);
    int padX = Math.max(0, (ox - 1) * stride + fx - ix);
    return new LayerShape(k, c, iy, ix, oy, ox, fy, fx, stride, stride, 1, 1, padY / 2, padX / 2, false);
  }

  /** A depthwise convolution with TFLite's SAME padding. */
  public static LayerShape depthwiseSame(int channels, int iy, int ix, int fy, int fx, int stride) {
    LayerShape s = convSame(channels, channels, iy, ix, fy, fx, stride);
    return new LayerShape(channels, channels, iy, ix, s.oy, s.ox, fy, fx, stride, stride, 1, 1, s.padTop, s.padLeft, true);
  }

  /** A fully-connected layer: {@code out} outputs from {@code in} inputs. */
  public static LayerShape fullyConnected(int out, int in) {
    return new LayerShape(out, in, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, false);
  }

  /** The size of a loop dimension of the output (C for the reduction over input channels). */
  public int size(Dim d) {
    return switch (d) {
      case K -> k;
      case C -> c;
      case OY -> oy;
      case OX -> ox;
    };
  }

  /** Input rows read by {@code rows} consecutive output rows before clipping: the halo formula. */
  public int inputRowsFor(int rows) {
    return (rows - 1) * strideY + (fy - 1) * dilationY + 1;
  }

  /** Input columns read by {@code cols} consecutive output columns before clipping. */
  public int inputColsFor(int cols) {
    return (cols - 1) * strideX + (fx - 1) * dilationX + 1;
  }

  /** Multiply-accumulates of the whole layer. */
  public long macs() {
    long perOutput = (depthwise ? 1L : c) * fy * fx;
    return (long) k * oy * ox * perOutput;
  }

  private static void positive(String name, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + v);
    }
  }

  private static void checkAxis(String what, int in, int out, int f, int s, int d, int padBefore) {
    int reach = (f - 1) * d + 1;
    if (padBefore >= reach) {
      throw new IllegalArgumentException("padding before the " + what + " (" + padBefore
          + ") is as large as the kernel's reach (" + reach + "): the first output reads no input");
    }
    int lastStart = (out - 1) * s - padBefore;
    if (lastStart > in - 1) {
      throw new IllegalArgumentException(out + " output " + what + " with stride " + s + " and padding "
          + padBefore + " start past the " + in + " input " + what);
    }
  }
}
