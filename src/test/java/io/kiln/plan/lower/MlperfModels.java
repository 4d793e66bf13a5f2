package io.kiln.plan.lower;

import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.quantize.PostTrainingQuantizer;
import io.kiln.quantize.QuantizeOptions;
import io.kiln.testing.SharedModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The real models the lowering is checked on: the four MLPerf Tiny int8 models, and
 * power-of-two models quantized by Kiln ({@code kiln quantize --per-channel --scales pow2}) from
 * three float ones, calibrated on seeded inputs over the int8 twin's input range. Built once per
 * test run.
 */
final class MlperfModels {
  private MlperfModels() {}

  static final List<String> INT8 = List.of("kws_ref_model", "vww_96_int8",
      "pretrainedResnet_quant", "ad01_int8");

  /** Float model → its published int8 twin, whose input quantization spans the calibration. */
  static final Map<String, String> POW2 = Map.of("vww_96_float", "vww_96_int8",
      "pretrainedResnet", "pretrainedResnet_quant", "ad01_fp32", "ad01_int8");

  private static final Map<String, Graph> CACHE = new ConcurrentHashMap<>();

  /**
   * An int8 model by name, or {@code NAME:pow2} for a float model quantized to pow2 scales
   * ({@code NAME:pow2t}: with ternary weights too, {@code --weights ternary}).
   */
  static Graph load(String name) {
    return CACHE.computeIfAbsent(name, n -> {
      int colon = n.indexOf(':');
      return colon < 0 ? file(n) : pow2(n.substring(0, colon), n.endsWith(":pow2t"));
    });
  }

  private static Graph file(String model) {
    return Pipeline.DEFAULT.apply(ModelSource.load(
        SharedModels.file("mlperf-tiny/" + model + ".tflite").toString()));
  }

  private static Graph pow2(String floatModel, boolean ternary) {
    Graph f = ModelSource.load(SharedModels.file("mlperf-tiny/" + floatModel + ".tflite")
        .toString());
    Value twinInput = file(POW2.get(floatModel)).inputValues().get(0);
    SplittableRandom rng = new SplittableRandom(20261201L);
    List<List<Tensor>> calibration = new ArrayList<>();
    for (int s = 0; s < 8; s++) {
      float[] x = new float[twinInput.shape().elements()];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) (twinInput.quant().scale() * (rng.nextInt(256) - 128
            - twinInput.quant().zeroPoint()));
      }
      calibration.add(List.of(Tensor.ofFloats(twinInput.shape(), x)));
    }
    Graph q = PostTrainingQuantizer.quantize(f, calibration, QuantizeOptions.DEFAULTS
        .withPerChannel(true).withScales(QuantizeOptions.ScaleMode.POW2)
        .withWeights(ternary ? QuantizeOptions.WeightFormat.TERNARY
            : QuantizeOptions.WeightFormat.INT8));
    return Pipeline.DEFAULT.apply(q);
  }

  /** {@code n} seeded uniform int8 samples of {@code g}'s inputs. */
  static List<List<Tensor>> samples(Graph g, long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<List<Tensor>> out = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      List<Tensor> sample = new ArrayList<>();
      for (Value v : g.inputValues()) {
        int[] x = new int[v.shape().elements()];
        for (int i = 0; i < x.length; i++) {
          x[i] = rng.nextInt(256) - 128;
        }
        sample.add(Tensor.ofInts(DType.INT8, v.shape(), x));
      }
      out.add(sample);
    }
    return out;
  }
}
