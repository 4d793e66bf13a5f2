package io.kiln.codegen;

import io.kiln.ir.Graph;
import io.kiln.ir.Quantization;
import io.kiln.ir.Value;

/**
 * The part of {@code kiln_model.h} every backend writes alike: the number of inputs and outputs,
 * each one's type in a comment and its size as a macro, and the size lists the host drivers read.
 */
public final class ModelApi {
  private ModelApi() {}

  /** {@code KILN_NUM_INPUTS} through {@code KILN_OUTPUT_BYTES_LIST} for {@code g}. */
  public static void ioMacros(CSource h, Graph g) {
    h.line("#define KILN_NUM_INPUTS %d", g.inputs().size());
    h.line("#define KILN_NUM_OUTPUTS %d", g.outputs().size());
    StringBuilder inList = new StringBuilder();
    for (int i = 0; i < g.inputs().size(); i++) {
      Value v = g.value(g.inputs().get(i));
      h.line("/* input %d \"%s\": %s%s%s */", i, CSource.commentSafe(v.name()), v.dtype().shortName(), v.shape(),
          quant(v));
      h.line("#define KILN_INPUT%d_BYTES %d", i, v.type().bytes());
      inList.append(i > 0 ? ", " : "").append("KILN_INPUT").append(i).append("_BYTES");
    }
    StringBuilder outList = new StringBuilder();
    for (int j = 0; j < g.outputs().size(); j++) {
      Value v = g.value(g.outputs().get(j));
      h.line("/* output %d \"%s\": %s%s%s */", j, CSource.commentSafe(v.name()), v.dtype().shortName(), v.shape(),
          quant(v));
      h.line("#define KILN_OUTPUT%d_BYTES %d", j, v.type().bytes());
      outList.append(j > 0 ? ", " : "").append("KILN_OUTPUT").append(j).append("_BYTES");
    }
    h.line("#define KILN_INPUT_BYTES_LIST { %s }", inList);
    h.line("#define KILN_OUTPUT_BYTES_LIST { %s }", outList);
  }

  private static String quant(Value v) {
    return switch (v.quant()) {
      case Quantization.None n -> "";
      case Quantization.PerTensor p -> " scale " + p.scale() + ", zero point " + p.zeroPoint();
      case Quantization.PerAxis p -> " per-axis " + p.axis();
    };
  }
}
