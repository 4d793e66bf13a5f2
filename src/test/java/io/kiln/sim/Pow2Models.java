package io.kiln.sim;

import io.kiln.ir.Graph;
import io.kiln.passes.Pipeline;
import io.kiln.quantize.MlperfPtq;
import io.kiln.quantize.QuantizeOptions;
import io.kiln.testing.SharedModels;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The power-of-two MLPerf Tiny models that {@code kiln quantize --per-channel --scales pow2}
 * makes (DIANA's shift-only output stages need them), quantized once per JVM.
 */
public final class Pow2Models {
  private static final Map<MlperfPtq.Case, Graph> CACHE = new ConcurrentHashMap<>();

  private Pow2Models() {}

  public static Graph of(MlperfPtq.Case c) {
    return CACHE.computeIfAbsent(c, k -> {
      QuantizeOptions options = QuantizeOptions.DEFAULTS.withPerChannel(true)
          .withScales(QuantizeOptions.ScaleMode.POW2);
      return Pipeline.DEFAULT.apply(MlperfPtq.run(SharedModels.file("mlperf-tiny"), k, 8, 1, options).kiln());
    });
  }
}
