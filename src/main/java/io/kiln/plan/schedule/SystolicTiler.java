package io.kiln.plan.schedule;

import io.kiln.plan.tiling.Dim;
import io.kiln.plan.tiling.Footprint;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;
import io.kiln.plan.tiling.TileProblem;
import io.kiln.target.Accelerator;
import io.kiln.target.DmaEngine;
import io.kiln.target.HardwareDescription;
import io.kiln.target.SystolicParameters;
import io.kiln.target.SystolicParameters.Im2col;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The tiler of a systolic unit, used instead of the DORY-style solver when the unit is a
 * {@link Accelerator.Kind#SYSTOLIC} array: output channels in whole multiples of the array's
 * columns, input channels in row blocks of the im2col method (multiples of the rows; with the
 * explicit method C·FY·FX a multiple of the rows; C whole where C < rows so that decomposed
 * filters share the rows, the input duplicated once per tile in SRAM), and output positions
 * (whole output rows, or part of one row) whose workspace fits the SRAM beside the
 * double-buffered weight, input and output tiles. Everything comes from the description
 * ({@link SystolicParameters#of}).
 *
 * <p>The objective is the layer's cycles on the engine: each tile's compute is what the
 * {@link SystolicEngine} takes for it (the simulator times the plan's jobs with the same engine),
 * overlapped with the off-chip DMA of the next tile as the double-buffered schedule does. The
 * tiler ranks every candidate by a closed-form estimate of that (tiles grouped by their at most
 * two sizes per dimension); the layer planner schedules the best few exactly and keeps the
 * fastest.
 */
final class SystolicTiler {
  /**
   * A tiling that fits: tile sizes by {@link Dim#ordinal()}, the SRAM its buffers and workspace
   * take, the engine's workspace of its largest tile, the estimated cycles and its tile count.
   */
  record Candidate(int[] sizes, long sramBytes, long workspaceBytes, long estimate, long tiles) {}

  /** The ranked candidates, or why no tile fits. */
  sealed interface Ranked {}

  record Fits(List<Candidate> best) implements Ranked {}

  record NoFit(String reason) implements Ranked {}

  private final Accelerator acc;
  private final SystolicEngine engine;
  private final Im2col method;
  private final TileProblem p;
  private final LayerShape l;
  private final LayerPlanner.Links links;
  private final Map<GemmTile, Long> timed = new HashMap<>();

  SystolicTiler(HardwareDescription hw, Accelerator acc, TileProblem p, LayerPlanner.Links links) {
    this.acc = acc;
    this.engine = SystolicEngine.of(hw, acc);
    this.method = engine.parameters().im2col();
    this.p = p;
    this.l = p.layer();
    this.links = links;
  }

  /** Cycles of one planned tile on the unit: the engine's, plus the per-call overhead of each call. */
  static long tileCycles(SystolicEngine engine, Accelerator acc, LayerShape l, TileOrder.Tile t) {
    long calls = l.depthwise() ? t.k().length() : 1;
    return engine.time(GemmTile.of(l, t.k(), t.c(), t.y(), t.x(), 1)).cycles()
        + calls * acc.perCallOverheadCycles();
  }

  /**
   * The {@code keep} best candidates by estimated cycles (fewer tiles first on a tie), and the
   * best of those with the fewest tiles.
   */
  Ranked rank(int keep) {
    SystolicParameters sp = engine.parameters();
    int[] ks = options(Dim.K, l.depthwise() ? 1 : sp.cols());
    int[] cs = l.depthwise() ? new int[] {l.c()} : options(Dim.C, channelBlock(sp));
    int[] ys = options(Dim.OY, 1);
    int[] xs = options(Dim.OX, 1);
    List<Candidate> fits = new ArrayList<>();
    long smallest = Long.MAX_VALUE;
    int[] smallestSizes = null;
    for (int k : ks) {
      for (int c : cs) {
        // Whole output rows, or part of one row when not even one row fits.
        List<int[]> positions = new ArrayList<>();
        for (int y : ys) {
          positions.add(new int[] {y, l.ox()});
        }
        if (contains(ys, 1)) {
          for (int x : xs) {
            if (x < l.ox()) {
              positions.add(new int[] {1, x});
            }
          }
        }
        for (int[] yx : positions) {
          int[] s = {k, c, yx[0], yx[1]};
          long[] mem = sram(s);
          if (mem[0] < smallest) {
            smallest = mem[0];
            smallestSizes = s;
          }
          if (mem[0] <= p.memories().l1Bytes() && Footprint.of(p, s).fits(p.memories())) {
            fits.add(new Candidate(s, mem[0], mem[1], estimate(s), tileCount(s)));
          }
        }
      }
    }
    if (fits.isEmpty()) {
      return new NoFit(smallestSizes == null ? "no tile size satisfies the layer's constraints"
          : "sram: L1 '" + acc.l1() + "' of " + p.memories().l1Bytes() + " bytes holds no tile of this layer; the smallest (K "
              + smallestSizes[0] + ", C " + smallestSizes[1] + ", " + smallestSizes[2] + "x" + smallestSizes[3]
              + " outputs, im2col " + method.name().toLowerCase(java.util.Locale.ROOT) + ") needs " + smallest
              + " bytes");
    }
    fits.sort(Comparator.comparingLong(Candidate::estimate).thenComparingLong(Candidate::tiles)
        .thenComparingLong(Candidate::sramBytes));
    List<Candidate> best = new ArrayList<>(fits.subList(0, Math.min(keep, fits.size())));
    // And the best of the fewest tiles, which the layer planner prefers when it is about as fast.
    long fewest = fits.stream().mapToLong(Candidate::tiles).min().orElseThrow();
    Candidate whole = fits.stream().filter(c -> c.tiles() == fewest).findFirst().orElseThrow();
    if (!best.contains(whole)) {
      best.add(whole);
    }
    return new Fits(List.copyOf(best));
  }

  /**
   * The input-channel block of the im2col method: the rows for implicit im2col (C whole when it
   * is smaller, so decomposed filters share the rows); for explicit, the smallest C whose C·FY·FX
   * fills whole row blocks.
   */
  private int channelBlock(SystolicParameters sp) {
    if (method == Im2col.EXPLICIT) {
      int taps = l.fy() * l.fx();
      return sp.rows() / gcd(sp.rows(), taps);
    }
    return l.c() <= sp.rows() ? l.c() : sp.rows();
  }

  /**
   * SRAM bytes of tile sizes {@code s} (its largest tile): the generic buffers (input window,
   * weights, outputs, parameters; each doubled when it streams) plus the im2col workspace beyond
   * the input buffer, doubled with it: the duplicated input of multi-tile (implicit), one
   * channel's window per tap (depthwise), or the lowered matrix (explicit). Also the workspace.
   */
  long[] sram(int[] s) {
    Footprint f = Footprint.of(p, s);
    Footprint.Copies copies = Footprint.Copies.of(p, s);
    GemmTile g = new GemmTile(s[0], l.depthwise() ? s[0] : s[1], l.fy(), l.fx(),
        Math.max(l.strideY(), l.strideX()), (long) s[2] * s[3], (long) f.inputRows() * f.inputCols(), 1,
        l.depthwise());
    long workspace = engine.workspaceBytes(g, method);
    long window = (long) f.inputRows() * f.inputCols();
    long extra = switch (method) {
      case EXPLICIT -> workspace;
      case IMPLICIT, CHANNEL_LAST -> Math.max(0, workspace - (l.depthwise() ? window : window * g.c()));
    };
    return new long[] {f.l1Bytes() + copies.input() * extra, workspace};
  }

  /**
   * Estimated cycles of the layer: per tile the slower of its compute and the DMA of the next
   * tile's loads or the last one's write-back (the double-buffered schedule), the first loads and
   * the last write-back exposed. Tiles are grouped by their sizes (at most two per dimension).
   */
  long estimate(int[] s) {
    int[][] kc = classes(l.k(), s[0]);
    int[][] cc = l.depthwise() ? new int[][] {{l.c(), 1}} : classes(l.c(), s[1]);
    int[][] yc = classes(l.oy(), s[2]);
    int[][] xc = classes(l.ox(), s[3]);
    long tilesC = l.depthwise() ? 1 : ceilDiv(l.c(), s[1]);
    long tilesYx = ceilDiv(l.oy(), s[2]) * ceilDiv(l.ox(), s[3]);
    long total = 0;
    long first = -1;
    long lastStore = 0;
    for (int[] k : kc) {
      for (int[] c : cc) {
        for (int[] y : yc) {
          for (int[] x : xc) {
            long count = (long) k[1] * c[1] * y[1] * x[1];
            Span ks = new Span(0, k[0]);
            GemmTile g = GemmTile.of(l, ks, l.depthwise() ? ks : new Span(0, c[0]), new Span(0, y[0]),
                new Span(0, x[0]), 1);
            long calls = l.depthwise() ? k[0] : 1;
            long compute = timed.computeIfAbsent(g, t -> engine.time(t).cycles()) + calls * acc.perCallOverheadCycles();
            long in = dma(links.in(), (long) g.c() * g.inputPositions() * p.sizes().inputBits() / 8);
            long weights = dma(links.weights(), p.sizes().weightBytes(k[0], l.depthwise() ? 1 : c[0],
                (long) l.fy() * l.fx()) + k[0] * (long) p.sizes().paramBytesPerChannel());
            long out = dma(links.out(), (long) k[0] * y[0] * x[0] * p.sizes().outputBits() / 8);
            // Weights change with every tile when C is split, else once per K tile; outputs leave
            // once per output tile.
            long wShare = tilesC > 1 ? weights : weights / tilesYx;
            long outShare = out / tilesC;
            total += count * Math.max(compute, Math.max(in + wShare, outShare));
            if (first < 0) {
              first = in + weights;
            }
            lastStore = out;
          }
        }
      }
    }
    return total + first + lastStore;
  }

  private long tileCount(int[] s) {
    return ceilDiv(l.k(), s[0]) * (l.depthwise() ? 1 : ceilDiv(l.c(), s[1])) * ceilDiv(l.oy(), s[2])
        * ceilDiv(l.ox(), s[3]);
  }

  /** {size, count} of the full tiles along a dimension, then of the partial last one if any. */
  private static int[][] classes(int full, int tile) {
    int whole = full / tile;
    int rest = full % tile;
    if (whole == 0) {
      return new int[][] {{rest, 1}};
    }
    return rest == 0 ? new int[][] {{tile, whole}} : new int[][] {{tile, whole}, {rest, 1}};
  }

  /**
   * The tile sizes worth trying along {@code d}: for every tile count n, ceil(full / n) rounded up
   * to {@code block}, replaced by the nearest sizes the problem's constraints allow.
   */
  private int[] options(Dim d, int block) {
    int[] allowed = p.allowedSizes(d);
    int full = l.size(d);
    TreeSet<Integer> out = new TreeSet<>();
    if (allowed.length == 0) {
      return new int[0];
    }
    long last = -1;
    for (int n = 1; n <= full; n++) {
      long target = Math.min(full, ceilDiv(ceilDiv(full, n), block) * block);
      if (target == last) {
        continue;
      }
      last = target;
      int i = Arrays.binarySearch(allowed, (int) target);
      if (i >= 0) {
        out.add(allowed[i]);
      } else {
        int at = -i - 1;
        if (at < allowed.length) {
          out.add(allowed[at]);
        }
        if (at > 0) {
          out.add(allowed[at - 1]);
        }
      }
      if (target <= block) {
        break;
      }
    }
    return out.descendingSet().stream().mapToInt(Integer::intValue).toArray();
  }

  private static boolean contains(int[] a, int v) {
    return Arrays.stream(a).anyMatch(x -> x == v);
  }

  private static long dma(DmaEngine e, long bytes) {
    return e.setupCycles() + (long) Math.ceil(bytes / e.bandwidthBytesPerCycle());
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
