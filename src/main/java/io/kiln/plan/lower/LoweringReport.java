package io.kiln.plan.lower;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import io.kiln.quantize.OutputAgreement;
import io.kiln.quantize.QuantTensors;
import io.kiln.quantize.QuantizationReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How much target-exact lowering changed a network's numbers: both graphs run in the interpreter
 * on the same inputs, and for every rewritten node the SQNR of its real (dequantized) output
 * against the int8 graph's, accumulated over all samples; then how often the top-1 class of the
 * outputs agrees (for classifiers) and the largest and mean absolute difference of the real
 * outputs. Real values are compared because a lowering may rescale a value (a narrowed output).
 *
 * @param layers one entry per rewritten node, in node order
 * @param agreement the outputs of the lowered graph against the int8 graph's
 */
public record LoweringReport(List<LayerSqnr> layers, OutputAgreement agreement) {

  public LoweringReport {
    layers = List.copyOf(layers);
  }

  /**
   * One rewritten node's output.
   *
   * @param sqnrDb {@code 10·log10(Σ ref² / Σ (ref - lowered)²)}; infinite when they are equal
   * @param approximate whether its rewrite was declared numeric (see {@link Lowered.Rewrite})
   */
  public record LayerSqnr(int node, String value, String op, String unit, double sqnrDb,
      boolean approximate) {}

  /** Runs {@code original} and {@code lowered} on every sample of {@code inputs}. */
  public static LoweringReport of(Graph original, Lowered lowered, List<List<Tensor>> inputs) {
    Graph low = lowered.graph();
    List<Lowered.Rewrite> rewrites = lowered.rewrites();
    double[] signal = new double[rewrites.size()];
    double[] noise = new double[rewrites.size()];
    OutputAgreement agreement = new OutputAgreement(QuantizationReport.isClassifier(original));
    Interpreter ref = new Interpreter(original);
    Interpreter lo = rewrites.isEmpty() ? ref : new Interpreter(low);
    for (List<Tensor> sample : inputs) {
      Tensor[] a = ref.trace(sample);
      Tensor[] b = lo == ref ? a : lo.trace(sample);
      for (int k = 0; k < rewrites.size(); k++) {
        int id = original.nodes().get(rewrites.get(k).node()).output();
        float[] x = real(original.value(id), a[id]);
        float[] y = real(low.value(id), b[id]);
        for (int i = 0; i < x.length; i++) {
          double d = (double) x[i] - y[i];
          signal[k] += (double) x[i] * x[i];
          noise[k] += d * d;
        }
      }
      int out = original.outputs().get(0);
      agreement.add(real(original.value(out), a[out]), real(low.value(out), b[out]));
    }
    List<LayerSqnr> layers = new ArrayList<>();
    for (int k = 0; k < rewrites.size(); k++) {
      Lowered.Rewrite r = rewrites.get(k);
      Node n = original.nodes().get(r.node());
      layers.add(new LayerSqnr(r.node(), original.output(n).name(), n.op().opName(), r.unit(),
          noise[k] == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal[k] / noise[k]),
          r.approximate()));
    }
    return new LoweringReport(layers, agreement);
  }

  private static float[] real(Value v, Tensor t) {
    return v.dtype().isInteger() ? QuantTensors.real(t, v.quant()) : t.floats;
  }

  /** The lowest SQNR of any rewritten layer (infinite when none changed a number). */
  public double minSqnrDb() {
    return layers.stream().mapToDouble(LayerSqnr::sqnrDb).min()
        .orElse(Double.POSITIVE_INFINITY);
  }

  /** One line per rewritten layer, then the output agreement. */
  public String format() {
    StringBuilder sb = new StringBuilder("lowering: numeric change against the int8 graph ("
        + agreement.samples() + " sample" + (agreement.samples() == 1 ? "" : "s") + ")\n");
    sb.append(String.format(Locale.ROOT, "  %4s %-16s %-28s %-8s %9s%n", "#", "op", "value",
        "unit", "SQNR dB"));
    for (LayerSqnr l : layers) {
      sb.append(String.format(Locale.ROOT, "  %4d %-16s %-28s %-8s %9s%n", l.node(), l.op(),
          l.value().length() > 28 ? l.value().substring(0, 25) + "..." : l.value(), l.unit(),
          Double.isInfinite(l.sqnrDb()) ? "exact" : String.format(Locale.ROOT, "%.1f",
              l.sqnrDb())));
    }
    sb.append("  outputs: ").append(agreement.summary()).append('\n');
    return sb.toString();
  }
}
