package io.kiln.frontend.onnx;

import io.kiln.ir.DType;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX's NCHW convolution, pooling and batch-normalization operators, imported as Kiln's NHWC
 * operators between explicit transposes (NCHW→NHWC before, NHWC→NCHW after); OIHW weights are
 * permuted to OHWI at import when constant. A later pass cancels adjacent transpose pairs.
 */
final class OnnxSpatialOps {
  private OnnxSpatialOps() {}

  static final int[] TO_NHWC = {0, 2, 3, 1};
  static final int[] TO_NCHW = {0, 3, 1, 2};
  /** OIHW → OHWI (convolution filters). */
  static final int[] OIHW_TO_OHWI = {0, 2, 3, 1};
  /** [M, 1, KH, KW] → [1, KH, KW, M] (depthwise filters). */
  static final int[] OIHW_TO_1HWM = {1, 2, 3, 0};

  /** Resolved sliding-window geometry of one 2-D node. */
  record Window(int kh, int kw, int strideH, int strideW, int dilationH, int dilationW,
      Op.Pads pads) {}

  static void conv(OnnxNode n) {
    n.singleOutput();
    int x = n.in(0);
    int w = n.in(1);
    Shape xs = rank4(n, x);
    Shape ws = rank4(n, w);
    if (n.type(x).dtype() != DType.FLOAT32) {
      throw n.fail("Conv on " + n.type(x).dtype().shortName() + " is not supported (float32)");
    }
    int group = n.attrs.intAttr("group", 1);
    int channels = xs.dim(1);
    Window win = window(n, xs, ws.dim(2), ws.dim(3), false);
    int xt = n.ctx.transpose(x, TO_NHWC, n.derived("nhwc"));
    int bias = n.opt(2);
    int y;
    if (group > 1 && group == channels && ws.dim(1) == 1) {
      int f = n.ctx.transpose(w, OIHW_TO_1HWM, n.derived("filter_1hwm"));
      Op op = new Op.DepthwiseConv2D(win.strideH(), win.strideW(), win.dilationH(),
          win.dilationW(), win.pads(), ws.dim(0) / channels, Op.Activation.NONE);
      y = n.ctx.applyLike(op, List.of(xt, f, bias), n.derived("conv_nhwc"), xt);
    } else {
      if (group < 1 || channels % group != 0 || ws.dim(1) * group != channels) {
        throw n.fail("group " + group + " does not match input channels " + channels
            + " and filter " + ws);
      }
      int f = n.ctx.transpose(w, OIHW_TO_OHWI, n.derived("filter_ohwi"));
      y = n.ctx.applyLike(conv2d(win), List.of(xt, f, bias), n.derived("conv_nhwc"), xt);
    }
    n.bind(0, n.ctx.transpose(y, TO_NCHW, n.out(0)));
  }

  private static Op.Conv2D conv2d(Window win) {
    return new Op.Conv2D(win.strideH(), win.strideW(), win.dilationH(), win.dilationW(),
        win.pads(), Op.Activation.NONE);
  }

  /** ConvInteger: int32 accumulators of zero-point-shifted 8-bit operands, no requantization. */
  static void convInteger(OnnxNode n) {
    n.singleOutput();
    int x = n.in(0);
    int w = n.in(1);
    Shape xs = rank4(n, x);
    Shape ws = rank4(n, w);
    OnnxQuantOps.requireZeroPointsOnly(n, x, 2, 1);
    OnnxQuantOps.requireZeroPointsOnly(n, w, 3, 0);
    groupOne(n);
    Window win = window(n, xs, ws.dim(2), ws.dim(3), false);
    int xt = n.ctx.transpose(x, TO_NHWC, n.derived("nhwc"));
    int f = n.ctx.transpose(w, OIHW_TO_OHWI, n.derived("filter_ohwi"));
    int y = n.ctx.apply(conv2d(win), List.of(xt, f), n.derived("acc_nhwc"), DType.INT32,
        Quantization.NONE);
    n.bind(0, n.ctx.transpose(y, TO_NCHW, n.out(0)));
  }

  /**
   * QLinearConv: Conv2D to int32 accumulators scaled by x_scale * w_scale (per output channel),
   * then Quantize with ONNX's float, round-half-to-even scheme.
   */
  static void qlinearConv(OnnxNode n) {
    n.singleOutput();
    int x = n.in(0);
    int w = n.in(3);
    Shape xs = rank4(n, x);
    Shape ws = rank4(n, w);
    Quantization qx = OnnxQuantOps.quantOf(n, x, 1, 2, 1);
    Quantization qw = OnnxQuantOps.quantOf(n, w, 4, 5, 0);
    OnnxQuantOps.requireQuant(n, x, qx);
    OnnxQuantOps.requireQuant(n, w, qw);
    groupOne(n);
    Window win = window(n, xs, ws.dim(2), ws.dim(3), false);
    int xt = n.ctx.transpose(x, TO_NHWC, n.derived("nhwc"));
    int f = n.ctx.transpose(w, OIHW_TO_OHWI, n.derived("filter_ohwi"));
    int bias = n.opt(8);
    Quantization acc = OnnxQuantOps.accumulatorQuant(qx.scale(), qw, 3);
    int y = n.ctx.apply(conv2d(win), List.of(xt, f, bias), n.derived("acc_nhwc"), DType.INT32,
        acc);
    int q = OnnxQuantOps.requantize(n, y, 6, 7, n.derived("nhwc_out"));
    n.bind(0, n.ctx.transpose(q, TO_NCHW, n.out(0)));
  }

  private static void groupOne(OnnxNode n) {
    if (n.attrs.i("group", 1) != 1) {
      throw n.fail("grouped integer convolution is not supported");
    }
  }

  static void pool(OnnxNode n, boolean max) {
    n.singleOutput();
    int x = n.in(0);
    Shape xs = rank4(n, x);
    int[] k = n.attrs.ints("kernel_shape");
    if (k == null || k.length != 2) {
      throw n.fail("needs a 2-D kernel_shape");
    }
    if (n.attrs.i("storage_order", 0) != 0) {
      throw n.fail("storage_order 1 is not supported");
    }
    Window win = window(n, xs, k[0], k[1], n.attrs.i("ceil_mode", 0) != 0);
    if (win.dilationH() != 1 || win.dilationW() != 1) {
      throw n.fail("dilated pooling is not supported");
    }
    int xt = n.ctx.transpose(x, TO_NHWC, n.derived("nhwc"));
    Op.Pads pads = win.pads();
    if (!max && n.attrs.i("count_include_pad", 0) != 0 && !pads.equals(Op.Pads.NONE)) {
      // Kiln's average excludes padding from the divisor; counting it means padding explicitly.
      Op.Pads declared = declaredPads(n);
      if (!pads.equals(declared) || n.attrs.i("ceil_mode", 0) != 0) {
        throw n.fail("count_include_pad with ceil_mode or auto_pad is not supported");
      }
      List<Integer> before = List.of(0, pads.top(), pads.left(), 0);
      List<Integer> after = List.of(0, pads.bottom(), pads.right(), 0);
      xt = n.ctx.applyLike(new Op.Pad(before, after), List.of(xt), n.derived("padded"), xt);
      pads = Op.Pads.NONE;
    }
    Op op = max
        ? new Op.MaxPool2D(k[0], k[1], win.strideH(), win.strideW(), pads, Op.Activation.NONE)
        : new Op.AveragePool2D(k[0], k[1], win.strideH(), win.strideW(), pads,
            Op.Activation.NONE);
    int y = n.ctx.applyLike(op, List.of(xt), n.derived("pool_nhwc"), xt);
    n.bind(0, n.ctx.transpose(y, TO_NCHW, n.out(0)));
  }

  /** Mean over the spatial axes, in NCHW directly (no layout change needed). */
  static void globalAveragePool(OnnxNode n) {
    int x = n.in(0);
    int rank = n.ctx.shape(x).rank();
    List<Integer> axes = new ArrayList<>();
    for (int a = 2; a < rank; a++) {
      axes.add(a);
    }
    n.bind(0, n.ctx.applyLike(new Op.Mean(axes, true), List.of(x), n.out(0), x));
  }

  /** A max pool whose window is the whole image. */
  static void globalMaxPool(OnnxNode n) {
    int x = n.in(0);
    Shape xs = rank4(n, x);
    int xt = n.ctx.transpose(x, TO_NHWC, n.derived("nhwc"));
    Op op = new Op.MaxPool2D(xs.dim(2), xs.dim(3), 1, 1, Op.Pads.NONE, Op.Activation.NONE);
    int y = n.ctx.applyLike(op, List.of(xt), n.derived("pool_nhwc"), xt);
    n.bind(0, n.ctx.transpose(y, TO_NCHW, n.out(0)));
  }

  /** Inference BatchNormalization, with the channel axis (1) moved last around Kiln's op. */
  static void batchNorm(OnnxNode n) {
    if (n.attrs.i("training_mode", 0) != 0) {
      throw n.fail("training_mode=1 is not supported (inference only)");
    }
    n.singleOutput();
    int x = n.in(0);
    List<Integer> params = new ArrayList<>();
    for (int slot = 1; slot <= 4; slot++) {
      params.add(n.in(slot));
    }
    Op op = new Op.BatchNorm(n.attrs.f("epsilon", 1e-5f));
    int rank = n.ctx.shape(x).rank();
    if (rank < 2) {
      throw n.fail("input of rank " + rank + " has no channel axis");
    }
    if (rank == 2) {
      List<Integer> ins = new ArrayList<>(List.of(x));
      ins.addAll(params);
      n.bind(0, n.ctx.applyLike(op, ins, n.out(0), x));
      return;
    }
    int[] toLast = new int[rank];
    int[] back = new int[rank];
    toLast[0] = 0;
    for (int a = 1; a < rank - 1; a++) {
      toLast[a] = a + 1;
    }
    toLast[rank - 1] = 1;
    for (int a = 0; a < rank; a++) {
      back[toLast[a]] = a;
    }
    int xt = n.ctx.transpose(x, toLast, n.derived("channel_last"));
    List<Integer> ins = new ArrayList<>(List.of(xt));
    ins.addAll(params);
    int y = n.ctx.applyLike(op, ins, n.derived("bn"), xt);
    n.bind(0, n.ctx.transpose(y, back, n.out(0)));
  }

  private static Shape rank4(OnnxNode n, int id) {
    Shape s = n.ctx.shape(id);
    if (s.rank() != 4) {
      throw n.fail("only 2-D (rank-4 NCHW) inputs are supported, got " + s);
    }
    return s;
  }

  private static Op.Pads declaredPads(OnnxNode n) {
    int[] p = n.attrs.ints("pads");
    if (p == null) {
      return Op.Pads.NONE;
    }
    if (p.length != 4) {
      throw n.fail("needs 4 pads for a 2-D window, has " + p.length);
    }
    return new Op.Pads(p[0], p[1], p[2], p[3]);
  }

  /**
   * Strides, dilations and explicit padding from ONNX's attributes: {@code auto_pad} SAME_* puts
   * the odd pixel at the end (UPPER) or the start (LOWER); {@code ceil_mode} adds end padding so
   * a last partial window exists, unless it would start in the end padding.
   */
  static Window window(OnnxNode n, Shape xs, int kh, int kw, boolean ceil) {
    int[] strides = n.attrs.ints("strides");
    int[] dil = n.attrs.ints("dilations");
    int sh = strides == null ? 1 : strides[0];
    int sw = strides == null ? 1 : strides[1];
    int dh = dil == null ? 1 : dil[0];
    int dw = dil == null ? 1 : dil[1];
    if (sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0) {
      throw n.fail("strides and dilations must be positive");
    }
    String auto = n.attrs.s("auto_pad", "NOTSET");
    int[] ph;
    int[] pw;
    switch (auto) {
      case "NOTSET" -> {
        Op.Pads p = declaredPads(n);
        ph = new int[] {p.top(), p.bottom()};
        pw = new int[] {p.left(), p.right()};
      }
      case "VALID" -> {
        ph = new int[] {0, 0};
        pw = new int[] {0, 0};
      }
      case "SAME_UPPER", "SAME_LOWER" -> {
        boolean upper = auto.equals("SAME_UPPER");
        ph = same(xs.dim(2), kh, sh, dh, upper);
        pw = same(xs.dim(3), kw, sw, dw, upper);
      }
      default -> throw n.fail("unknown auto_pad '" + auto + "'");
    }
    if (ceil) {
      ph[1] += ceilExtra(xs.dim(2), kh, sh, dh, ph[0], ph[1]);
      pw[1] += ceilExtra(xs.dim(3), kw, sw, dw, pw[0], pw[1]);
    }
    return new Window(kh, kw, sh, sw, dh, dw, new Op.Pads(ph[0], pw[0], ph[1], pw[1]));
  }

  private static int[] same(int in, int k, int stride, int dilation, boolean upper) {
    int out = (in + stride - 1) / stride;
    int eff = (k - 1) * dilation + 1;
    int total = Math.max(0, (out - 1) * stride + eff - in);
    int small = total / 2;
    return upper ? new int[] {small, total - small} : new int[] {total - small, small};
  }

  private static int ceilExtra(int in, int k, int stride, int dilation, int before, int after) {
    int eff = (k - 1) * dilation + 1;
    int span = in + before + after - eff;
    if (span < 0) {
      return 0;
    }
    int floorOut = span / stride + 1;
    int ceilOut = (span + stride - 1) / stride + 1;
    // The last window must start inside the input or the start padding.
    if ((ceilOut - 1) * stride >= in + before) {
      ceilOut--;
    }
    return ceilOut > floorOut ? (ceilOut - 1) * stride + eff - (in + before + after) : 0;
  }
}
