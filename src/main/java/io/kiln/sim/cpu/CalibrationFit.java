package io.kiln.sim.cpu;

import io.kiln.sim.cpu.CpuCalibration.Constants;
import io.kiln.sim.cpu.CpuCalibration.Measurement;
import io.kiln.target.Cpu.KernelKind;
import io.kiln.target.Cpu.WorkUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Fits the cycle model of every kernel kind to measured layers,
 * {@code instructions = overhead + per_unit x work (+ per_output x outputs for the MAC and
 * window kinds)}, by least squares on the relative error (each layer weighted by 1/measured^2,
 * so a small layer counts as much as a large one) with every constant non-negative and the
 * overhead at most {@link #MAX_OVERHEAD}.
 */
public final class CalibrationFit {
  private CalibrationFit() {}

  /**
   * The largest per-call overhead the fit may give a kind. The measured small layers show set-ups
   * of a few thousand instructions at most (a convolution's, ~3,000); a larger intercept is the
   * fit absorbing a cost that is not linear in the work (the ResNet Adds, whose cost per element
   * depends on their scales) and would overprice every small layer of the kind.
   */
  public static final long MAX_OVERHEAD = 10_000;

  /** The constants of every kind that has at least one measurement with work. */
  public static Map<KernelKind, Constants> fit(List<Measurement> measurements) {
    Map<KernelKind, List<Measurement>> byKind = new EnumMap<>(KernelKind.class);
    for (Measurement m : measurements) {
      if (m.instructions() > 0 && m.work() > 0) {
        byKind.computeIfAbsent(m.kind(), k -> new ArrayList<>()).add(m);
      }
    }
    Map<KernelKind, Constants> out = new EnumMap<>(KernelKind.class);
    byKind.forEach((kind, ms) -> out.put(kind, fitOne(kind, ms)));
    return out;
  }

  /**
   * Non-negative weighted least squares over the features (work, outputs, 1): with at most three
   * features the optimum is the unconstrained optimum on one subset of them, so every subset
   * (with the work in it) is solved and the best one with no negative constant wins.
   */
  static Constants fitOne(KernelKind kind, List<Measurement> ms) {
    int features = kind.unit() == WorkUnit.OUTPUT_ELEMENT ? 2 : 3;
    double[][] x = new double[ms.size()][3];
    double[] y = new double[ms.size()];
    for (int i = 0; i < y.length; i++) {
      Measurement m = ms.get(i);
      x[i] = new double[] {m.work(), features == 3 ? m.outputs() : 0, 1};
      y[i] = m.instructions();
    }
    double[] best = null;
    double bestResidual = Double.POSITIVE_INFINITY;
    // The per-unit term is always in: a kernel whose work grows must cost more, and without it
    // a kind measured only on small layers (the models' last FullyConnected) would fit a flat
    // overhead and price a large layer of its kind like a small one.
    for (int subset = 1; subset < 8; subset += 2) {
      if (features == 2 && (subset & 2) != 0) {
        continue;
      }
      double[] c = solve(x, y, subset, 0);
      if (c != null && c[2] > MAX_OVERHEAD) {
        // Bounded above too: the overhead sits at its bound and the rest is fitted to what is left.
        c = solve(x, y, subset & ~4, MAX_OVERHEAD);
      }
      if (c == null || c[0] < 0 || c[1] < 0 || c[2] < 0) {
        continue;
      }
      double r = 0;
      for (int i = 0; i < y.length; i++) {
        double e = (c[0] * x[i][0] + c[1] * x[i][1] + c[2] - y[i]) / y[i];
        r += e * e;
      }
      // Ties (an exact fit with fewer constants) keep the simpler model found first.
      if (r < bestResidual * (1 - 1e-9)) {
        bestResidual = r;
        best = c;
      }
    }
    return new Constants(round(best[0]), round(best[1]), Math.round(best[2]));
  }

  /**
   * The weighted least-squares constants on the features whose bits are set in {@code subset}
   * (0 for the others, and {@code overhead} for the constant term when it is not in the subset),
   * through the normal equations; null when they are singular.
   */
  private static double[] solve(double[][] x, double[] y0, int subset, double overhead) {
    double[] y = new double[y0.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = y0[i] - overhead;
    }
    int[] idx = new int[Integer.bitCount(subset)];
    for (int f = 0, j = 0; f < 3; f++) {
      if ((subset & (1 << f)) != 0) {
        idx[j++] = f;
      }
    }
    int k = idx.length;
    double[][] a = new double[k][k + 1];
    for (int i = 0; i < y.length; i++) {
      double w = 1 / (y0[i] * y0[i]);
      for (int r = 0; r < k; r++) {
        for (int c = 0; c < k; c++) {
          a[r][c] += w * x[i][idx[r]] * x[i][idx[c]];
        }
        a[r][k] += w * x[i][idx[r]] * y[i];
      }
    }
    // Gaussian elimination with partial pivoting; a pivot far below the diagonal's scale means
    // the features are collinear on these layers (say, all with the same depth).
    for (int p = 0; p < k; p++) {
      int piv = p;
      for (int r = p + 1; r < k; r++) {
        piv = Math.abs(a[r][p]) > Math.abs(a[piv][p]) ? r : piv;
      }
      double[] t = a[p];
      a[p] = a[piv];
      a[piv] = t;
      double scale = 0;
      for (int c = 0; c < k; c++) {
        scale = Math.max(scale, Math.abs(a[p][c]));
      }
      if (Math.abs(a[p][p]) <= 1e-9 * scale || scale == 0) {
        return null;
      }
      for (int r = 0; r < k; r++) {
        if (r != p) {
          double f = a[r][p] / a[p][p];
          for (int c = p; c <= k; c++) {
            a[r][c] -= f * a[p][c];
          }
        }
      }
    }
    double[] out = {0, 0, overhead};
    for (int j = 0; j < k; j++) {
      out[idx[j]] = a[j][k] / a[j][j];
    }
    return out;
  }

  /** Four significant decimals are more than the measurements support. */
  private static double round(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }

  /** The relative error of {@code cost} on a measured layer: (predicted - measured) / measured. */
  public static double error(Constants cost, Measurement m) {
    double predicted = CpuCycleModel.cycles(cost, m.work(), m.outputs());
    return (predicted - m.instructions()) / m.instructions();
  }
}
