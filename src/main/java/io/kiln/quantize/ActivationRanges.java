package io.kiln.quantize;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the float graph on the calibration samples and chooses a clipping range for every float
 * activation (graph inputs and operator results) with the configured observer.
 */
final class ActivationRanges {
  private ActivationRanges() {}

  /** Value id → chosen real range, for every non-constant float value. */
  static Map<Integer, ValueStatistics.Range> collect(Graph g, List<List<Tensor>> samples,
      QuantizeOptions options) {
    Interpreter interpreter = new Interpreter(g);
    Map<Integer, ValueStatistics> stats = new HashMap<>();
    for (Value v : g.values()) {
      if (!v.isConstant() && v.dtype() == DType.FLOAT32) {
        stats.put(v.id(), new ValueStatistics());
      }
    }
    for (List<Tensor> sample : samples) {
      Tensor[] env = interpreter.trace(sample);
      stats.forEach((id, s) -> s.observeRange(env[id].floats));
    }
    // The histogram observers need the extremes first, so their bins cover every value; the
    // second run over the samples costs less than keeping every activation of every sample.
    if (options.observer() != QuantizeOptions.Observer.MINMAX) {
      for (List<Tensor> sample : samples) {
        Tensor[] env = interpreter.trace(sample);
        stats.forEach((id, s) -> s.observeHistogram(env[id].floats));
      }
    }
    Map<Integer, ValueStatistics.Range> ranges = new HashMap<>();
    stats.forEach((id, s) -> ranges.put(id, s.range(options.observer(), options.percentile())));
    return ranges;
  }
}
