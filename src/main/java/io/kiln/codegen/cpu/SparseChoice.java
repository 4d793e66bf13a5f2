package io.kiln.codegen.cpu;

import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import io.kiln.target.CpuCore;
import java.util.Locale;

/**
 * Decides from a cost estimate whether a layer with {@link Encoding.NM} weights runs the sparse
 * kernel or stays dense, and says why. The estimate counts instructions: the dense kernel's per
 * MAC and the sparse kernel's per stored value and output, for the host or a microcontroller and
 * per kernel family, taken from the single-layer measurements of {@code bench/sparse.sh} (see
 * BENCHMARKS.md); the sparse kernel is chosen where it is estimated clearly faster.
 */
final class SparseChoice {
  private SparseChoice() {}

  /** How much cheaper than the dense kernel the sparse one must be estimated. */
  static final double MARGIN = 0.9;

  /** The format to run sparse, or null with the reason the layer stays dense. */
  record Decision(Encoding.NM format, String reason) {}

  /**
   * Instructions per dense MAC, measured by {@code bench/sparse.sh} on the single layers of
   * BENCHMARKS.md (K = 256, 8x8, 3x3 conv; 256-unit FC): on the host gcc vectorizes the dense
   * dot products (pmaddwd) but not the sparse gathers; on a microcontroller neither is vector
   * code except the DSP family's SMLAD kernels.
   */
  private static double densePerMac(boolean mcu, CpuCore.KernelFamily f, boolean conv) {
    if (!mcu) {
      return conv ? 0.80 : 0.82;
    }
    return switch (f) {
      case PLAIN_C -> conv ? 2.84 : 2.81;
      case DSP, MVE -> conv ? 1.31 : 1.52;
    };
  }

  /**
   * Instructions per stored value and output (conv: per pixel, two pixels share a decode). On a
   * DSP-extension core the conv kernel pairs its selections for SMLAD ({@link DspSparseEmitter}):
   * 4.0 measured on the M4 where the plain one takes 5.2; its FC kernel is the plain one.
   */
  private static double sparsePerValue(boolean mcu, CpuCore.KernelFamily f, boolean conv) {
    if (!mcu) {
      return conv ? 6.7 : 9.7;
    }
    if (!conv) {
      return 6.1;
    }
    return f == CpuCore.KernelFamily.PLAIN_C ? 5.2 : 4.0;
  }

  /** Null when the layer's weights are not N:M (nothing to decide). */
  static Decision decide(LayerContext ctx, int weightSlot,
      io.kiln.codegen.CodegenOptions options) {
    CpuCore core = options.core();
    io.kiln.codegen.CodegenOptions.SparseKernels mode = options.sparse();
    // Without a board the code is for the host (or any C compiler): the host's costs.
    boolean mcu = options.board().isPresent() || core != CpuCore.GENERIC;
    boolean conv = ctx.node().op() instanceof Op.Conv2D;
    TensorType w = ctx.in(weightSlot);
    if (!(w.encoding() instanceof Encoding.NM nm)) {
      return null;
    }
    if (ctx.in(0).dtype() != DType.INT8 || w.dtype() != DType.INT8) {
      return new Decision(null, nm + " weights stay dense: the sparse kernels take int8 layers");
    }
    if (ctx.node().op() instanceof Op.FullyConnected
        && w.quant() instanceof io.kiln.ir.Quantization.PerTensor p && p.zeroPoint() != 0) {
      return new Decision(null, nm + " weights stay dense: they have a zero point");
    }
    int rows = w.shape().dim(0);
    int length = w.elements() / rows;
    double dense = (double) length * densePerMac(mcu, core.family(), conv);
    double sparse = (double) nm.valuesPerRow(length) * sparsePerValue(mcu, core.family(), conv);
    String ratio = String.format(Locale.ROOT, "%.2f", sparse / dense);
    String on = (mcu ? "" : "the host, ") + core.id();
    if (mode == io.kiln.codegen.CodegenOptions.SparseKernels.NEVER) {
      return new Decision(null, nm + " weights stay dense: sparse kernels switched off");
    }
    if (mode == io.kiln.codegen.CodegenOptions.SparseKernels.ALWAYS) {
      return new Decision(nm, nm + " sparse (requested); estimated " + ratio
          + "x the dense kernel's instructions on " + on);
    }
    // The estimate leaves out per-output costs (patches shared by few channels, loop and
    // requantization overhead): ResNet8's 16-channel 1:4 layers measured 1.09x the M4's DSP
    // kernel with the plain sparse kernel where the 256-channel layer was level. So the sparse
    // kernel must win by a margin.
    if (sparse < MARGIN * dense) {
      return new Decision(nm, nm + " sparse: values and offsets selected from the input by"
          + " offset; estimated " + ratio + "x the dense kernel's instructions on " + on);
    }
    return new Decision(null, nm + " weights stay dense: the sparse kernel is estimated at "
        + ratio + "x the dense kernel's instructions on " + on);
  }

  /**
   * The sparse kernel where the layer's N:M weights pay off by the estimate (or as
   * {@code options} force), else the dense one, whose report then says why it stayed dense.
   */
  static long emit(LayerContext ctx, io.kiln.codegen.CodegenOptions options, int slot,
      java.util.function.ToLongFunction<Encoding.NM> sparse,
      java.util.function.LongSupplier dense) {
    Decision d = decide(ctx, slot, options);
    if (d != null && d.format() != null) {
      ctx.kernel("sparse-" + d.format(), d.reason());
      return sparse.applyAsLong(d.format());
    }
    long macs = dense.getAsLong();
    if (d != null) {
      ctx.kernel(ctx.kernel(), d.reason() + "; " + ctx.kernelReason());
    }
    return macs;
  }
}
