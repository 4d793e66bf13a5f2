package io.kiln.sim;

import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded uniform inputs for simulations and sweeps: every int8 code equally likely, the same for a seed. */
public final class SeededInputs {
  private SeededInputs() {}

  /** One tensor per input of {@code g}, uniform over -128..127, from {@code seed}. */
  public static List<Tensor> of(Graph g, long seed) {
    Random r = new Random(seed);
    List<Tensor> out = new ArrayList<>();
    for (Value v : g.inputValues()) {
      int[] data = new int[v.type().elements()];
      for (int i = 0; i < data.length; i++) {
        data[i] = r.nextInt(256) - 128;
      }
      out.add(Tensor.ofInts(v.dtype(), v.shape(), data));
    }
    return out;
  }
}
