package io.kiln.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kiln.analysis.GraphCost;
import io.kiln.analysis.NodeCost;
import io.kiln.analysis.Operand;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/** Renders {@link GraphCost} for {@code kiln inspect}: an aligned text table or JSON. */
final class InspectReport {
  private InspectReport() {}

  static String table(Graph g, GraphCost cost) {
    StringBuilder sb = new StringBuilder();
    sb.append("model ").append(g.name()).append('\n');
    for (Value v : g.inputValues()) {
      sb.append("  input  \"").append(v.name()).append("\" ").append(GraphPrinter.type(v.type()))
          .append('\n');
    }
    for (Value v : g.outputValues()) {
      sb.append("  output \"").append(v.name()).append("\" ").append(GraphPrinter.type(v.type()))
          .append('\n');
    }
    sb.append('\n');
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"#", "operator", "inputs (const: parameter)", "output", "MACs",
        "param B", "act in B", "act out B"});
    for (NodeCost n : cost.nodes()) {
      List<String> ins = new ArrayList<>();
      for (Operand o : n.inputs()) {
        ins.add((o.constant() ? "const:" : "") + shortType(o.type()));
      }
      rows.add(new String[] {Integer.toString(n.index()), n.op(), String.join(" ", ins),
          shortType(n.output().type()), Long.toString(n.macs()), Long.toString(n.paramBytes()),
          Long.toString(n.inputActivationBytes()), Long.toString(n.outputActivationBytes())});
    }
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    // Numbers right-aligned (index and the four counts), text left-aligned.
    boolean[] numeric = {true, false, false, false, true, true, true, true};
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        String cell = numeric[i] ? " ".repeat(width[i] - r[i].length()) + r[i]
            : r[i] + " ".repeat(width[i] - r[i].length());
        line.append(i > 0 ? "  " : "").append(cell);
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    sb.append('\n');
    sb.append("totals: ").append(cost.ops()).append(" ops, ")
        .append(grouped(cost.macs())).append(" MACs, ")
        .append(grouped(cost.paramBytes())).append(" parameter bytes, peak activations ")
        .append(grouped(cost.peakActivationBytes())).append(" bytes, all activations ")
        .append(grouped(cost.totalActivationBytes())).append(" bytes\n");
    return sb.toString();
  }

  /** dtype and shape only: the table has no room for quantization parameters. */
  private static String shortType(TensorType t) {
    return t.dtype().shortName() + t.shape()
        + (t.encoding() instanceof io.kiln.ir.Encoding.Dense ? "" : "{" + t.encoding() + "}");
  }

  private static String grouped(long n) {
    return String.format(java.util.Locale.ROOT, "%,d", n);
  }

  // ---- JSON -------------------------------------------------------------------------------------

  @JsonInclude(JsonInclude.Include.NON_NULL)
  record QuantJson(Float scale, Long zeroPoint, Integer axis, float[] scales, long[] zeroPoints) {
    static QuantJson of(Quantization q) {
      return switch (q) {
        case Quantization.None n -> null;
        case Quantization.PerTensor p -> new QuantJson(p.scale(), p.zeroPoint(), null, null, null);
        case Quantization.PerAxis p -> new QuantJson(null, null, p.axis(), p.scales(),
            p.zeroPoints());
      };
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  record TensorJson(int value, String name, String dtype, int[] shape, long bytes,
      Boolean constant, QuantJson quant, String encoding) {
    static TensorJson of(int id, String name, TensorType t, Boolean constant) {
      boolean dense = t.encoding() instanceof io.kiln.ir.Encoding.Dense;
      return new TensorJson(id, name, t.dtype().shortName(), t.shape().dims(),
          Boolean.TRUE.equals(constant) ? t.encodedBytes() : t.bytes(), constant,
          QuantJson.of(t.quant()), dense ? null : t.encoding().toString());
    }
  }

  record OperatorJson(int index, String op, List<TensorJson> inputs, TensorJson output,
      long macs, long paramBytes, long inputActivationBytes, long outputActivationBytes) {}

  record TotalsJson(int ops, long macs, long paramBytes, long peakActivationBytes,
      long totalActivationBytes) {}

  record ReportJson(String model, List<TensorJson> inputs, List<TensorJson> outputs,
      List<OperatorJson> operators, TotalsJson totals) {}

  static String json(Graph g, GraphCost cost) {
    List<OperatorJson> ops = new ArrayList<>();
    for (NodeCost n : cost.nodes()) {
      List<TensorJson> ins = new ArrayList<>();
      for (Operand o : n.inputs()) {
        ins.add(TensorJson.of(o.value(), o.name(), o.type(), o.constant()));
      }
      Operand out = n.output();
      ops.add(new OperatorJson(n.index(), n.op(), ins,
          TensorJson.of(out.value(), out.name(), out.type(), null), n.macs(), n.paramBytes(),
          n.inputActivationBytes(), n.outputActivationBytes()));
    }
    ReportJson r = new ReportJson(g.name(),
        g.inputValues().stream().map(v -> TensorJson.of(v.id(), v.name(), v.type(), null)).toList(),
        g.outputValues().stream().map(v -> TensorJson.of(v.id(), v.name(), v.type(), null))
            .toList(),
        ops, new TotalsJson(cost.ops(), cost.macs(), cost.paramBytes(),
            cost.peakActivationBytes(), cost.totalActivationBytes()));
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(r) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the inspect report", e);
    }
  }
}
