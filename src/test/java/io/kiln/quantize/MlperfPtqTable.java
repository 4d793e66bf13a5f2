package io.kiln.quantize;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Prints the option matrix of docs/quantization.md: a benchmark program run by
 * {@code bench/ptq.sh} (it takes minutes and checks nothing, so it is not a test).
 */
public final class MlperfPtqTable {
  private static final QuantizeOptions PC = QuantizeOptions.DEFAULTS.withPerChannel(true);
  private static final List<QuantizeOptions> MATRIX = List.of(
      QuantizeOptions.DEFAULTS,
      PC,
      PC.withObserver(QuantizeOptions.Observer.PERCENTILE),
      PC.withObserver(QuantizeOptions.Observer.MSE),
      PC.withScales(QuantizeOptions.ScaleMode.POW2),
      PC.withWeights(QuantizeOptions.WeightFormat.TERNARY));

  private MlperfPtqTable() {}

  /** {@code args[0]}: the shared models directory (the one holding mlperf-tiny/). */
  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: MlperfPtqTable SHARED_MODELS_DIR");
      System.exit(2);
    }
    Path dir = Path.of(args[0]).resolve("mlperf-tiny");
    StringBuilder sb = new StringBuilder();
    for (MlperfPtq.Case c : List.of(MlperfPtq.RESNET, MlperfPtq.VWW, MlperfPtq.AD)) {
      for (QuantizeOptions o : MATRIX) {
        MlperfPtq.Result r = MlperfPtq.run(dir, c, 100, 200, o);
        sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.1f |%n", c.floatModel(),
            label(o), r.kilnAgreement().summary(), r.publishedAgreement().summary(),
            minSqnr(r.report())));
        if (c == MlperfPtq.AD) {
          Graph f = TfliteImporter.load(dir.resolve(c.floatModel()));
          List<List<Tensor>> real = MlperfPtq.adWindows(
              dir.resolve("samples/ad01/normal_id_01_00000000_hist_librosa.bin"),
              f.inputValues().get(0).shape());
          OutputAgreement k = QuantizationReport.compare(f, r.kiln(), real).agreement();
          OutputAgreement p = MlperfPtq.publishedAgreement(f,
              TfliteImporter.load(dir.resolve(c.publishedModel())), real);
          sb.append(String.format(Locale.ROOT, "| (real windows) | %s | %s | %s | |%n",
              label(o), k.summary(), p.summary()));
        }
        if (o == PC) {
          sb.append(r.report().format());
        }
      }
    }
    System.out.print(sb);
  }

  private static double minSqnr(QuantizationReport r) {
    return r.layers().stream().mapToDouble(QuantizationReport.LayerSqnr::sqnrDb).min()
        .orElse(Double.NaN);
  }

  private static String label(QuantizeOptions o) {
    return (o.perChannel() ? "per-channel" : "per-tensor") + " "
        + o.observer().name().toLowerCase(Locale.ROOT) + " "
        + o.scales().name().toLowerCase(Locale.ROOT) + " "
        + o.weights().name().toLowerCase(Locale.ROOT);
  }
}
