package io.kiln.quantize;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a quantized graph departs from its float original on the same inputs: the SQNR of every
 * layer output (values matched by name across both interpreters' traces) and the agreement of
 * the model outputs.
 */
public record QuantizationReport(List<LayerSqnr> layers, OutputAgreement agreement) {

  /** Signal-to-quantization-noise ratio of one value over all samples, in dB. */
  public record LayerSqnr(String name, String op, double sqnrDb) {}

  public QuantizationReport {
    layers = List.copyOf(layers);
  }

  /**
   * Runs both graphs on {@code floatSamples} (quantized onto the integer graph's input types
   * where it takes integers) and compares every value the two graphs both name.
   */
  public static QuantizationReport compare(Graph floatGraph, Graph intGraph,
      List<List<Tensor>> floatSamples) {
    Interpreter fi = new Interpreter(floatGraph);
    Interpreter qi = new Interpreter(intGraph);
    Map<String, Integer> floatIds = new HashMap<>();
    for (Value v : floatGraph.values()) {
      if (!v.isConstant()) {
        floatIds.putIfAbsent(v.name(), v.id());
      }
    }
    List<Node> compared = new ArrayList<>();
    for (Node n : intGraph.nodes()) {
      if (floatIds.containsKey(intGraph.output(n).name())) {
        compared.add(n);
      }
    }
    double[] signal = new double[compared.size()];
    double[] noise = new double[compared.size()];
    OutputAgreement agreement = new OutputAgreement(isClassifier(floatGraph));
    for (List<Tensor> sample : floatSamples) {
      Tensor[] f = fi.trace(sample);
      Tensor[] q = qi.trace(QuantTensors.inputsFor(intGraph, sample));
      for (int k = 0; k < compared.size(); k++) {
        Value qv = intGraph.output(compared.get(k));
        float[] ref = f[floatIds.get(qv.name())].floats;
        float[] got = QuantTensors.real(q[qv.id()], qv.quant());
        for (int i = 0; i < ref.length; i++) {
          double d = (double) ref[i] - got[i];
          signal[k] += (double) ref[i] * ref[i];
          noise[k] += d * d;
        }
      }
      Value fo = floatGraph.outputValues().get(0);
      Value qo = intGraph.outputValues().get(0);
      agreement.add(f[fo.id()].floats, QuantTensors.real(q[qo.id()], qo.quant()));
    }
    List<LayerSqnr> layers = new ArrayList<>();
    for (int k = 0; k < compared.size(); k++) {
      Node n = compared.get(k);
      layers.add(new LayerSqnr(intGraph.output(n).name(), n.op().opName(),
          sqnrDb(signal[k], noise[k])));
    }
    return new QuantizationReport(layers, agreement);
  }

  static double sqnrDb(double signal, double noise) {
    if (noise == 0) {
      return Double.POSITIVE_INFINITY;
    }
    return 10 * Math.log10(signal / noise);
  }

  /** A classifier ends in a Softmax over [batch, classes]: its top-1 class is meaningful. */
  public static boolean isClassifier(Graph g) {
    if (g.outputs().size() != 1) {
      return false;
    }
    Value out = g.outputValues().get(0);
    for (Node n : g.nodes()) {
      if (n.output() == out.id()) {
        return n.op() instanceof Op.Softmax && out.shape().rank() == 2;
      }
    }
    return false;
  }

  /** The terminal form: one line per layer, then the output agreement. */
  public String format() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-4s %-16s %10s  %s%n", "#", "operator", "SQNR dB",
        "value"));
    for (int k = 0; k < layers.size(); k++) {
      LayerSqnr l = layers.get(k);
      String db = Double.isInfinite(l.sqnrDb()) ? "exact" : String.format(Locale.ROOT, "%.2f",
          l.sqnrDb());
      sb.append(String.format(Locale.ROOT, "%-4d %-16s %10s  %s%n", k, l.op(), db,
          shorten(l.name())));
    }
    sb.append("output: ").append(agreement.summary()).append('\n');
    return sb.toString();
  }

  /** TFLite value names join every fused op's name with ';'; the last part names the layer. */
  private static String shorten(String name) {
    int semi = name.lastIndexOf(';');
    return semi >= 0 ? name.substring(semi + 1) : name;
  }
}
