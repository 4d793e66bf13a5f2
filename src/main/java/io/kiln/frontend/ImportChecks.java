package io.kiln.frontend;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Value;
import io.kiln.quant.FixedPoint;

/**
 * What every imported model must satisfy beyond being well-formed, checked once on import so
 * that {@code run}, {@code compile} and {@code plan} refuse the same files with the same line:
 * at least one output, quantization parameters that mean something (finite positive scales,
 * zero points inside the dtype, per-axis arrays as long as their axis), and requantization
 * multipliers that the integer kernels and the generated C can represent.
 */
public final class ImportChecks {
  /**
   * The largest left shift of the int32 requantization ({@code x * (1 << shift)}): TFLite allows
   * 31, but {@code 1 << 31} overflows a C int, so the generated code could not do it.
   */
  public static final int MAX_INT32_SHIFT = 30;
  /** The largest left shift of the int64-accumulator (16x8) requantization, as in TFLite. */
  public static final int MAX_INT64_SHIFT = 7;

  private ImportChecks() {}

  /** Returns {@code g} unchanged, or throws a one-line {@link KilnException}. */
  public static Graph check(Graph g) {
    if (g.outputs().isEmpty()) {
      throw new KilnException("the model has no outputs");
    }
    for (Value v : g.values()) {
      checkQuantization(v);
    }
    for (Node n : g.nodes()) {
      checkMultipliers(g, n);
    }
    return g;
  }

  private static void checkQuantization(Value v) {
    Quantization q = v.quant();
    DType dt = v.dtype();
    switch (q) {
      case Quantization.None none -> { }
      case Quantization.PerTensor p -> {
        checkScale(v, p.scale(), -1);
        checkZeroPoint(v, dt, p.zeroPoint(), -1);
      }
      case Quantization.PerAxis p -> {
        int rank = v.shape().rank();
        if (p.axis() < 0 || p.axis() >= rank) {
          throw new KilnException(name(v) + " is quantized along axis " + p.axis()
              + " but has rank " + rank);
        }
        if (p.channels() != v.shape().dim(p.axis())) {
          throw new KilnException(name(v) + " has " + p.channels() + " per-axis scales but"
              + " dimension " + p.axis() + " of " + v.shape() + " is "
              + v.shape().dim(p.axis()));
        }
        for (int c = 0; c < p.channels(); c++) {
          checkScale(v, p.scale(c), c);
          checkZeroPoint(v, dt, p.zeroPoint(c), c);
        }
      }
    }
  }

  private static void checkScale(Value v, float scale, int channel) {
    // A zero, negative, infinite or NaN scale makes every real value meaningless; a subnormal
    // one cannot be inverted into a finite multiplier.
    if (!(scale >= Float.MIN_NORMAL) || Float.isInfinite(scale)) {
      throw new KilnException(name(v) + channel(channel) + " has scale " + scale
          + "; scales must be finite and positive (normal floats)");
    }
  }

  private static void checkZeroPoint(Value v, DType dt, long zp, int channel) {
    if (dt.isInteger() && (zp < dt.min() || zp > dt.max())) {
      throw new KilnException(name(v) + channel(channel) + " has zero point " + zp
          + ", outside the range [" + dt.min() + ", " + dt.max() + "] of its dtype "
          + dt.shortName());
    }
  }

  /**
   * The real multipliers a kernel computes from the scales of its operands: input x weight /
   * output for layers with weights and for Mul, input / output for everything else that maps
   * one quantized integer tensor to another. Each must have a left shift the kernels support.
   */
  private static void checkMultipliers(Graph g, Node n) {
    if (n.outputs().size() != 1) {
      return;
    }
    Value out = g.output(n);
    if (!(out.quant() instanceof Quantization.PerTensor po) || !out.dtype().isInteger()) {
      return;
    }
    double so = po.scale();
    int weightSlot = weightSlot(n.op());
    if (weightSlot >= 0 && n.hasInput(0) && n.hasInput(weightSlot)) {
      Value in = g.input(n, 0);
      Value w = g.input(n, weightSlot);
      if (!quantizedInteger(in) || !quantizedInteger(w)) {
        return;
      }
      int maxShift = in.dtype() == DType.INT16 && !(n.op() instanceof Op.Mul)
          ? MAX_INT64_SHIFT : MAX_INT32_SHIFT;
      Quantization qw = w.quant();
      int channels = qw instanceof Quantization.PerAxis pa ? pa.channels() : 1;
      for (int c = 0; c < channels; c++) {
        double real = (double) in.quant().scale() * qw.scaleAt(c) / so;
        require(real, maxShift, out, n, "input scale " + in.quant().scale() + " x "
            + (n.op() instanceof Op.Mul ? "second input" : "weight") + " scale "
            + qw.scaleAt(c) + (channels > 1 ? " (channel " + c + ")" : "") + " / output scale "
            + po.scale());
      }
      return;
    }
    for (int slot = 0; slot < n.inputs().size(); slot++) {
      if (!n.hasInput(slot)) {
        continue;
      }
      Value in = g.input(n, slot);
      if (!(in.quant() instanceof Quantization.PerTensor pi) || !in.dtype().isInteger()) {
        continue;
      }
      double real = (double) pi.scale() / so;
      require(real, MAX_INT32_SHIFT, out, n, "input scale " + pi.scale() + " / output scale "
          + po.scale());
    }
  }

  private static void require(double real, int maxShift, Value out, Node n, String how) {
    FixedPoint.QuantizedMultiplier m = FixedPoint.quantizeMultiplier(real);
    if (!Double.isFinite(real) || m.shift() > maxShift) {
      throw new KilnException(name(out) + " (output of " + n.op().opName() + "): the"
          + " requantization multiplier " + (float) real + " = " + how + " needs a left shift of "
          + m.shift() + "; the integer kernels and the generated C take at most " + maxShift);
    }
  }

  /** The slot whose scale multiplies the input's in the kernel's multiplier, or -1. */
  private static int weightSlot(Op op) {
    return switch (op) {
      case Op.Conv2D c -> Op.Conv2D.FILTER;
      case Op.DepthwiseConv2D d -> Op.DepthwiseConv2D.FILTER;
      case Op.FullyConnected f -> Op.FullyConnected.WEIGHTS;
      case Op.TransposeConv t -> Op.TransposeConv.FILTER;
      case Op.Mul m -> Op.Mul.RHS;
      default -> -1;
    };
  }

  private static boolean quantizedInteger(Value v) {
    return v.quant().isQuantized() && v.dtype().isInteger();
  }

  private static String name(Value v) {
    // Names come from the file: keep the message one printable line.
    String n = v.name().codePoints().map(c -> c < 0x20 || c == 0x7F ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
    return "tensor '" + (n.length() > 80 ? n.substring(0, 80) + "..." : n) + "'";
  }

  private static String channel(int c) {
    return c < 0 ? "" : " channel " + c;
  }
}
