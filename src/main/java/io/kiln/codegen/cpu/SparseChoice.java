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
   * The instructions of one output (one channel at one pixel, or one unit): per term of its
   * reduction (a dense MAC, a stored sparse value), per output, and per element of the pixel's
   * patch (built once for all channels, so an output pays {@code k / channels} of them).
   */
  private record Cost(double perTerm, double perOutput, double perPatchElement) {
    static Cost perTerm(double c) {
      return new Cost(c, 0, 0);
    }

    double of(double terms, int k, int channels) {
      return terms * perTerm + perOutput + perPatchElement * k / channels;
    }
  }

  /**
   * The dense kernel, measured by {@code bench/sparse.sh} on the single layers of BENCHMARKS.md
   * (K = 256, 8x8, 3x3 conv; 256-unit FC): on the host gcc vectorizes the dense dot products
   * (pmaddwd) but not the sparse gathers; on a microcontroller neither is vector code except the
   * DSP family's SMLAD kernels, whose conv is fitted per output and patch element on ResNet8's and
   * the DS-CNN's layers on the M4 (1x1: no patch), to weigh against {@link DspSparseEmitter}.
   */
  private static Cost dense(boolean mcu, CpuCore.KernelFamily f, boolean conv, boolean pointwise) {
    if (!mcu) {
      return Cost.perTerm(conv ? 0.80 : 0.82);
    }
    return switch (f) {
      case PLAIN_C -> Cost.perTerm(conv ? 2.84 : 2.81);
      case DSP, MVE -> !conv ? Cost.perTerm(1.52) : pointwise ? new Cost(1.22, 20, 0)
          : new Cost(1.24, 23, 3.3);
    };
  }

  /**
   * The sparse kernel, per stored value and output (conv: per pixel, two pixels share a
   * decode). On a DSP-extension core the conv kernel pairs its selections for SMLAD ({@link
   * DspSparseEmitter}), fitted on the M4 as the dense one: 3.43 per value where the plain one
   * takes 5.2, but 49 per output (the dense kernel's 23) and 6.5 per patch element (its 3.3); its
   * FC kernel is the plain one.
   */
  private static Cost sparse(boolean mcu, CpuCore.KernelFamily f, boolean conv) {
    if (!mcu) {
      return Cost.perTerm(conv ? 6.7 : 9.7);
    }
    if (!conv) {
      return Cost.perTerm(6.1);
    }
    return f == CpuCore.KernelFamily.PLAIN_C ? Cost.perTerm(5.2) : new Cost(3.43, 49, 6.5);
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
    boolean pointwise = conv && w.shape().dim(1) == 1 && w.shape().dim(2) == 1;
    double dense = dense(mcu, core.family(), conv, pointwise).of(length, length, rows);
    double sparse = sparse(mcu, core.family(), conv).of(nm.valuesPerRow(length), length, rows);
    String ratio = String.format(Locale.ROOT, "%.2f", sparse / dense);
    String on = (mcu ? "" : "the host, ") + core.id();
    if (mode == io.kiln.codegen.CodegenOptions.SparseKernels.NEVER) {
      return new Decision(null, nm + " weights stay dense: sparse kernels switched off");
    }
    if (mode == io.kiln.codegen.CodegenOptions.SparseKernels.ALWAYS) {
      return new Decision(nm, nm + " sparse (requested); estimated " + ratio
          + "x the dense kernel's instructions on " + on);
    }
    // Most estimates leave out per-output costs (patches shared by few channels, loop and
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
