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
 * MAC and the sparse kernel's per stored value and output pixel, each per kernel family, taken
 * from the single-layer measurements of {@code bench/sparse.sh} (see BENCHMARKS.md); a sparse
 * kernel must beat the dense one by the estimate to be chosen.
 */
final class SparseChoice {
  private SparseChoice() {}

  /** The format to run sparse, or null with the reason the layer stays dense. */
  record Decision(Encoding.NM format, String reason) {}

  /**
   * Instructions per dense MAC and per sparse stored value (per output pixel), by family.
   * Plain C on the host: gcc vectorizes the dense dot products (pmaddwd), not the gathers.
   */
  private static double densePerMac(CpuCore.KernelFamily f) {
    return switch (f) {
      case PLAIN_C -> 0.28;
      case DSP, MVE -> 0.85;
    };
  }

  private static double sparsePerValue(CpuCore.KernelFamily f) {
    return switch (f) {
      case PLAIN_C -> 2.6;
      case DSP, MVE -> 3.2;
    };
  }

  /** Null when the layer's weights are not N:M (nothing to decide). */
  static Decision decide(LayerContext ctx, int weightSlot, CpuCore core,
      io.kiln.codegen.CodegenOptions.SparseKernels mode) {
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
    double dense = (double) length * densePerMac(core.family());
    double sparse = (double) nm.valuesPerRow(length) * sparsePerValue(core.family());
    String ratio = String.format(Locale.ROOT, "%.2f", sparse / dense);
    if (mode == io.kiln.codegen.CodegenOptions.SparseKernels.NEVER) {
      return new Decision(null, nm + " weights stay dense: sparse kernels switched off");
    }
    if (mode == io.kiln.codegen.CodegenOptions.SparseKernels.ALWAYS) {
      return new Decision(nm, nm + " sparse (requested); estimated " + ratio
          + "x the dense kernel's instructions on " + core.id());
    }
    if (sparse < dense) {
      return new Decision(nm, nm + " sparse: values and offsets selected from the input by"
          + " offset; estimated " + ratio + "x the dense kernel's instructions on "
          + core.id());
    }
    return new Decision(null, nm + " weights stay dense: the sparse kernel is estimated at "
        + ratio + "x the dense kernel's instructions on " + core.id());
  }
}
