package io.kiln.models;

import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded float samples for a float graph: every input element uniform in {@code [lo, hi)}. The
 * built-in models calibrate on such samples (the stand-in for a representative data set) and
 * tests evaluate on others drawn with a different seed.
 */
public record UniformInputs(long seed, float lo, float hi, int count) {
  public UniformInputs {
    if (!(lo < hi) || count <= 0) {
      throw new IllegalArgumentException("need lo < hi and a positive count, got [" + lo + ", "
          + hi + ") x " + count);
    }
  }

  /** The same distribution with another seed and count (evaluation samples, say). */
  public UniformInputs with(long newSeed, int newCount) {
    return new UniformInputs(newSeed, lo, hi, newCount);
  }

  /** {@link #count} samples, each a tensor per input of {@code g} in input order. */
  public List<List<Tensor>> draw(Graph g) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<List<Tensor>> samples = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      List<Tensor> sample = new ArrayList<>();
      for (Value in : g.inputValues()) {
        if (in.dtype() != DType.FLOAT32) {
          throw new IllegalArgumentException("input '" + in.name() + "' of " + g.name()
              + " is " + in.dtype().shortName() + ", not float32");
        }
        float[] x = new float[in.shape().elements()];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) (lo + (hi - (double) lo) * rng.nextDouble());
        }
        sample.add(Tensor.ofFloats(in.shape(), x));
      }
      samples.add(sample);
    }
    return samples;
  }
}
