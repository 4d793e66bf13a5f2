package io.kiln.prune;

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
import java.util.Map;
import java.util.HashMap;

/**
 * What pruning did to a graph, measured on the same inputs through both: per pruned layer its
 * sparsity and the SQNR of its output (in real values, so float and int8 graphs compare alike;
 * the pruned layer's error includes every earlier pruned layer's), and for the model output the
 * top-1 agreement (classifiers) and the error. Nothing is retrained, so the numbers are what
 * pruning alone costs.
 */
public record PruneReport(List<Layer> layers, OutputAgreement agreement) {

  /** One pruned layer's line. */
  public record Layer(Pruning.PrunedLayer pruned, double sqnrDb) {}

  public PruneReport {
    layers = List.copyOf(layers);
  }

  /** Runs {@code original} and {@code result.graph()} on {@code samples} and compares them. */
  public static PruneReport compare(Graph original, Pruning.Result result,
      List<List<Tensor>> samples) {
    Graph pruned = result.graph();
    Map<String, Integer> ids = new HashMap<>();
    for (Node n : pruned.nodes()) {
      ids.putIfAbsent(pruned.output(n).name(), n.output());
    }
    Interpreter before = new Interpreter(original);
    Interpreter after = new Interpreter(pruned);
    int count = result.layers().size();
    double[] signal = new double[count];
    double[] noise = new double[count];
    OutputAgreement agreement = new OutputAgreement(QuantizationReport.isClassifier(original));
    for (List<Tensor> sample : samples) {
      Tensor[] a = before.trace(sample);
      Tensor[] b = after.trace(sample);
      for (int k = 0; k < count; k++) {
        Value v = pruned.value(ids.get(result.layers().get(k).name()));
        float[] ref = real(a[v.id()], v);
        float[] got = real(b[v.id()], v);
        for (int i = 0; i < ref.length; i++) {
          double d = (double) ref[i] - got[i];
          signal[k] += (double) ref[i] * ref[i];
          noise[k] += d * d;
        }
      }
      Value out = pruned.outputValues().get(0);
      agreement.add(real(a[out.id()], out), real(b[out.id()], out));
    }
    List<Layer> layers = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      layers.add(new Layer(result.layers().get(k), noise[k] == 0 ? Double.POSITIVE_INFINITY
          : 10 * Math.log10(signal[k] / noise[k])));
    }
    return new PruneReport(layers, agreement);
  }

  private static float[] real(Tensor t, Value v) {
    return t.floats != null ? t.floats : QuantTensors.real(t, v.quant());
  }

  /** The terminal form: one line per pruned layer, then the output agreement. */
  public String format() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-16s %9s %9s %9s %10s  %s%n", "operator", "weights",
        "non-zero", "sparsity", "SQNR dB", "layer"));
    for (Layer l : layers) {
      Pruning.PrunedLayer p = l.pruned();
      String db = Double.isInfinite(l.sqnrDb()) ? "exact"
          : String.format(Locale.ROOT, "%.2f", l.sqnrDb());
      sb.append(String.format(Locale.ROOT, "%-16s %9d %9d %8.2f%% %10s  %s%n", p.op(),
          p.elements(), p.nonZeroAfter(), 100 * p.sparsity(), db, shorten(p.name())));
    }
    sb.append("output against the unpruned model: ").append(agreement.summary()).append('\n');
    return sb.toString();
  }

  private static String shorten(String name) {
    int semi = name.lastIndexOf(';');
    return semi >= 0 ? name.substring(semi + 1) : name;
  }
}
