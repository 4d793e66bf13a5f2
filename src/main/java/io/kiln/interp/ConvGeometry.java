package io.kiln.interp;

import io.kiln.ir.Op;
import io.kiln.ir.Shape;

/**
 * The NHWC sliding-window geometry of a convolution-like operator (sizes, strides, dilations and
 * the top/left padding that positions the window), fixed at prepare time. The bottom/right
 * padding only determined the output size, which the IR shape already records.
 */
record ConvGeometry(int batches, int inH, int inW, int inC, int outH, int outW, int outC,
    int kH, int kW, int strideH, int strideW, int dilationH, int dilationW, int padTop,
    int padLeft) {

  /** Geometry of a window sliding over {@code in} ([N,H,W,C]) into {@code out} ([N,H,W,C]). */
  static ConvGeometry of(Shape in, Shape out, int kH, int kW, int strideH, int strideW,
      int dilationH, int dilationW, Op.Pads pads) {
    return new ConvGeometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), out.dim(1), out.dim(2),
        out.dim(3), kH, kW, strideH, strideW, dilationH, dilationW, pads.top(), pads.left());
  }

  int inputIndex(int b, int y, int x, int c) {
    return ((b * inH + y) * inW + x) * inC + c;
  }

  int outputIndex(int b, int y, int x, int c) {
    return ((b * outH + y) * outW + x) * outC + c;
  }

  boolean insideInput(int y, int x) {
    return y >= 0 && y < inH && x >= 0 && x < inW;
  }
}
