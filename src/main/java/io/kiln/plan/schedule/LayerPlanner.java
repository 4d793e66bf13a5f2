package io.kiln.plan.schedule;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.plan.tiling.Halo;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Objective;
import io.kiln.plan.tiling.TileProblem;
import io.kiln.plan.tiling.Tiling;
import io.kiln.plan.tiling.TilingChecker;
import io.kiln.plan.tiling.TilingResult;
import io.kiln.plan.tiling.TilingSolver;
import io.kiln.plan.weights.BlobLayout;
import io.kiln.plan.weights.BlobSlice;
import io.kiln.target.Accelerator;
import io.kiln.target.DmaEngine;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Layout;
import io.kiln.target.MemoryLevel;
import io.kiln.target.OpPattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;

/**
 * Plans one layer on one unit of a hardware description: builds the tiling problem from the node
 * and the accelerator, solves it, re-checks it, and schedules DMA transfers and compute calls
 * with the cost model. It never throws because a layer does not fit; it answers
 * {@link Unplannable} with the reason.
 *
 * <p>Cost model v1, from the description only: a tile's compute is its array steps (each unrolled
 * loop group divided by its array dimension, rounded up, so idle lanes cost time) times the
 * cycles of one array step, plus the accelerator's per-call overhead; a transfer costs the DMA's
 * setup per command plus bytes over bandwidth. Under double buffering the next tile's loads and
 * the previous tile's write-back run during this tile's compute, so each step costs the slower of
 * the two; the first loads and the last write-back are exposed.
 *
 * <p>A second operand (an element-wise operator's right operand, a fused residual Add's skip
 * tensor) is loaded once per output tile, with the input of the tile that writes it back. Each
 * stage fused into the output stage (residual Add, pooling) costs one more output-stage pass per
 * array step of outputs: the unrolled output loops (K, OY, OX) of the tile, each unroll entry's
 * product divided by its factor rounded up, at one cycle a pass. A fused pooling writes back only
 * the pooled tile.
 */
public final class LayerPlanner {
  private final HardwareDescription hw;
  private final TilingSolver solver;

  public LayerPlanner(HardwareDescription hw, TilingSolver solver) {
    this.hw = hw;
    this.solver = solver;
  }

  public HardwareDescription hardware() {
    return hw;
  }

  /** The plan of {@code n} (a node of {@code g}) on {@code unit}, or why there is none. */
  public LayerPlanResult plan(Graph g, Node n, Unit unit) {
    return plan(g, n, List.of(), unit);
  }

  /**
   * The plan of {@code n} with the {@code fused} nodes (a residual Add, a pooling; in dataflow
   * order) in the output stage of the same accelerator calls, or why there is none.
   */
  public LayerPlanResult plan(Graph g, Node n, List<Node> fused, Unit unit) {
    return switch (unit) {
      case Unit.CpuUnit c -> {
        if (!fused.isEmpty()) {
          throw new IllegalArgumentException("the CPU runs fused nodes one by one, not in one call");
        }
        yield CpuCost.plan(hw, g, n, c);
      }
      case Unit.AcceleratorUnit a -> planOn(g, n, fused, a);
    };
  }

  private LayerPlanResult planOn(Graph g, Node n, List<Node> fused, Unit.AcceleratorUnit unit) {
    Accelerator acc = unit.accelerator();
    Optional<LayerGeometry> geo;
    try {
      geo = LayerGeometry.of(g, n, fused);
    } catch (IllegalArgumentException e) {
      return new Unplannable(unit, n.op().opName() + " has a geometry the tiler cannot express: " + e.getMessage());
    }
    if (geo.isEmpty()) {
      return new Unplannable(unit, n.op().opName() + " is not a layer " + acc.name() + " can tile");
    }
    if (geo.get().dynamicWeights() && acc.kind() != Accelerator.Kind.SYSTOLIC) {
      // Only the systolic backend and simulator run a matmul's jobs (kiln_hal.h KILN_JOB_MATMUL).
      return new Unplannable(unit, acc.name() + " has no matmul jobs yet (only a systolic unit runs them)");
    }
    Optional<Links> links = Links.of(hw, acc);
    if (links.isEmpty()) {
      return new Unplannable(unit, "no DMA engine connects " + acc.l1() + " of " + acc.name()
          + " (and its weight memory) with a larger memory");
    }
    ProblemBuilder.Built built = ProblemBuilder.build(hw, acc, geo.get());
    if (built instanceof ProblemBuilder.Refused r) {
      return new Unplannable(unit, r.reason());
    }
    ProblemBuilder.Ok ok = (ProblemBuilder.Ok) built;
    TileProblem p = ok.problem();
    if (acc.kind() == Accelerator.Kind.SYSTOLIC) {
      return planSystolic(n, fused, unit, geo.get(), ok.pattern(), p, links.get());
    }
    TilingResult with = solver.solve(p);
    if (with instanceof TilingResult.Infeasible inf) {
      return new Unplannable(unit, acc.name() + " (L1 '" + acc.l1() + "' "
          + hw.memory(acc.l1()).map(MemoryLevel::sizeBytes).orElse(0L) + " B"
          + acc.weightMemory().map(m -> ", weight memory '" + m.name() + "' " + m.sizeBytes() + " B").orElse("")
          + "): " + inf.reason());
    }
    Tiling chosen = ((TilingResult.Solved) with).tiling();
    LayerPlan best = schedule(n, fused, unit, geo.get(), ok.pattern(), p, chosen, links.get());
    // Guard the heuristics with the cost model: a tiling chosen without them that runs faster
    // wins.
    if (!p.objective().heuristics().isEmpty()) {
      TileProblem plain = new TileProblem(p.layer(), p.sizes(), p.memories(), p.constraints(),
          new Objective(p.objective().alpha(), List.of()));
      if (solver.solve(plain) instanceof TilingResult.Solved s) {
        Tiling t = Tiling.of(p, s.tiling().sizes());
        LayerPlan alt = schedule(n, fused, unit, geo.get(), ok.pattern(), p, t, links.get());
        if (alt.totalCycles() < best.totalCycles()) {
          best = alt;
        }
      }
    }
    List<String> errors = TilingChecker.check(p, best.tiling());
    if (!errors.isEmpty()) {
      throw new IllegalStateException("tiler bug: " + acc.name() + " tiling " + best.tiling() + " of "
          + p.layer() + " violates " + errors);
    }
    return best;
  }

  /** Candidates of the systolic tiler scheduled exactly; the fastest is kept. */
  private static final int SYSTOLIC_CANDIDATES = 3;

  /** How much slower (a fraction) a plan with fewer tiles may be estimated and still win. */
  private static final double SYSTOLIC_TOLERANCE = 0.01;

  /**
   * A layer on a systolic unit: its own tiler ({@link SystolicTiler}) ranks the tilings that fit
   * the SRAM by their estimated cycles on the engine, the best few are scheduled exactly, and the
   * fastest is kept, its SRAM reservation including the im2col workspace.
   */
  private LayerPlanResult planSystolic(Node n, List<Node> fused, Unit.AcceleratorUnit unit, LayerGeometry geo,
      OpPattern pattern, TileProblem p, Links links) {
    Accelerator acc = unit.accelerator();
    SystolicTiler.Ranked ranked = new SystolicTiler(hw, acc, p, links).rank(SYSTOLIC_CANDIDATES);
    if (ranked instanceof SystolicTiler.NoFit none) {
      return new Unplannable(unit, none.reason());
    }
    List<LayerPlan> plans = new ArrayList<>();
    for (SystolicTiler.Candidate c : ((SystolicTiler.Fits) ranked).best()) {
      Tiling t = Tiling.of(p, c.sizes());
      plans.add(schedule(n, fused, unit, geo, pattern, p, t, links).withL1Bytes(c.sramBytes()));
    }
    // Each tile costs the host a job start and DMA waits that the estimate does not price: within
    // SYSTOLIC_TOLERANCE of the fastest, the plan with the fewest tiles wins.
    long fastest = plans.stream().mapToLong(LayerPlan::totalCycles).min().orElseThrow();
    LayerPlan best = plans.stream().filter(x -> x.totalCycles() <= fastest * (1 + SYSTOLIC_TOLERANCE))
        .min(java.util.Comparator.comparingInt((LayerPlan x) -> x.calls().size())
            .thenComparingLong(LayerPlan::totalCycles)).orElseThrow();
    List<String> errors = TilingChecker.check(p, best.tiling());
    if (!errors.isEmpty()) {
      throw new IllegalStateException("systolic tiler bug: tiling " + best.tiling() + " of " + p.layer()
          + " violates " + errors);
    }
    return best;
  }

  /**
   * The DMA engines a unit's tiles move through, and the memories they come from: activations
   * from {@code l2}, weights and parameters from {@code constants} (the same memory unless the
   * weight placement put the layer's blob in a read-only one).
   */
  record Links(String l2, DmaEngine in, DmaEngine out, DmaEngine weights, String weightTarget, String constants,
      DmaEngine params) {
    Links(String l2, DmaEngine in, DmaEngine out, DmaEngine weights, String weightTarget) {
      this(l2, in, out, weights, weightTarget, l2, in);
    }

    /** The same links with weights and parameters read from {@code memory}, if DMA engines do that. */
    Optional<Links> readingConstantsFrom(HardwareDescription hw, String memory, String l1) {
      Optional<DmaEngine> w = hw.dma(memory, weightTarget);
      Optional<DmaEngine> p = hw.dma(memory, l1);
      return w.isPresent() && p.isPresent()
          ? Optional.of(new Links(l2, in, out, w.get(), weightTarget, memory, p.get())) : Optional.empty();
    }

    static Optional<Links> of(HardwareDescription hw, Accelerator acc) {
      String l1 = acc.l1();
      for (DmaEngine d : hw.dmas()) {
        String other = d.to().equals(l1) ? d.from() : d.bidirectional() && d.from().equals(l1) ? d.to() : null;
        if (other == null) {
          continue;
        }
        Optional<DmaEngine> out = hw.dma(l1, other);
        String wTarget = acc.weightMemory().map(MemoryLevel::name).orElse(l1);
        Optional<DmaEngine> w = hw.dma(other, wTarget);
        if (out.isPresent() && w.isPresent()) {
          return Optional.of(new Links(other, d, out.get(), w.get(), wTarget));
        }
      }
      return Optional.empty();
    }
  }

  /** The ordered transfers and calls of {@code t}, with their cycles, energy and totals. */
  LayerPlan schedule(Node n, List<Node> fused, Unit.AcceleratorUnit unit, LayerGeometry geo, OpPattern pattern,
      TileProblem p, Tiling t, Links links) {
    Accelerator acc = unit.accelerator();
    LayerShape l = p.layer();
    var s = p.sizes();
    boolean db = p.memories().doubleBuffered();
    List<TileOrder.Tile> tiles = TileOrder.of(l, t);
    int count = tiles.size();
    Optional<BlobLayout> blob = geo.dynamicWeights() ? Optional.of(operandLayout(geo))
        : geo.hasWeights()
        ? Optional.of(new BlobLayout(ProblemBuilder.storage(acc, pattern, geo).arrange(l, t.tileK(), t.tileC()),
            ProblemBuilder.paramFormat(pattern, geo)))
        : Optional.empty();
    List<List<Transfer>> loads = new ArrayList<>();
    List<Transfer> stores = new ArrayList<>();
    long[] compute = new long[count];
    long[] macs = new long[count];
    SystolicEngine systolic = acc.kind() == Accelerator.Kind.SYSTOLIC
        ? SystolicEngine.of(hw, acc) : null;
    TileOrder.Tile prev = null;
    for (TileOrder.Tile tile : tiles) {
      List<Transfer> in = new ArrayList<>();
      boolean weightsChange = prev == null || !prev.k().equals(tile.k()) || !prev.c().equals(tile.c())
          || (geo.weightsPerRow() && !prev.y().equals(tile.y()));
      if (blob.isPresent() && weightsChange && geo.dynamicWeights()) {
        in.add(operandLoad(blob.get(), geo, tile, links));
      } else if (blob.isPresent() && weightsChange) {
        in.addAll(constantLoads(blob.get(), tile, prev, links, acc.l1()));
      }
      boolean inputChanges = prev == null || !prev.c().equals(tile.c()) || !prev.y().equals(tile.y())
          || !prev.x().equals(tile.x());
      if (inputChanges) {
        int rows = Halo.rows(l, tile.y()).length();
        int cols = Halo.cols(l, tile.x()).length();
        long bytes = ceilDiv((long) tile.c().length() * rows * cols * s.inputBits(), 8);
        long cmds = commands(acc.layout(), tile.c().length(), l.c(), rows, l.iy(), cols, l.ix(), links.in());
        in.add(new Transfer(-1, links.l2(), acc.l1(), bytes, Transfer.Kind.INPUT, tile.index(),
            cycles(links.in(), bytes, cmds)));
      }
      if (s.operandBits() > 0 && tile.lastC(l)) {
        // The output stage consumes the second operand, so it arrives with the tile that
        // finishes the outputs, cut from its own tensor at the output tile's position.
        long bytes = ceilDiv((long) tile.k().length() * tile.y().length() * tile.x().length() * s.operandBits(), 8);
        long cmds = commands(acc.layout(), tile.k().length(), l.k(), tile.y().length(), geo.operandRows(),
            tile.x().length(), geo.operandCols(), links.in());
        in.add(new Transfer(-1, links.l2(), acc.l1(), bytes, Transfer.Kind.OPERAND, tile.index(),
            cycles(links.in(), bytes, cmds)));
      }
      loads.add(in);
      if (tile.lastC(l)) {
        // A fused pooling writes whole windows only (tiles are aligned to them).
        int rowsOut = tile.y().length() / geo.poolY();
        int colsOut = tile.x().length() / geo.poolX();
        long bytes = ceilDiv((long) tile.k().length() * rowsOut * colsOut * s.outputBits(), 8);
        long cmds = commands(acc.layout(), tile.k().length(), l.k(), rowsOut, l.oy() / geo.poolY(), colsOut,
            l.ox() / geo.poolX(), links.out());
        stores.add(new Transfer(-1, acc.l1(), links.l2(), bytes, Transfer.Kind.OUTPUT, tile.index(),
            cycles(links.out(), bytes, cmds)));
      } else {
        stores.add(null);
      }
      compute[tile.index()] = systolic != null ? SystolicTiler.tileCycles(systolic, acc, l, tile)
          : ArrayWork.tileCycles(acc, pattern, geo, tile, fused.size());
      // The MACs the array executes (for skipped N:M zeros, the stored values' only).
      macs[tile.index()] = systolic == null ? ArrayWork.work(acc, pattern, geo, tile.k().length(),
          tile.c().length(), tile.y().length(), tile.x().length()).macs()
          : geo.hasWeights() ? (long) tile.k().length() * (l.depthwise() ? 1 : tile.c().length())
              * tile.y().length() * tile.x().length() * l.fy() * l.fx() : 0;
      prev = tile;
    }

    // Emit in issue order and time the overlap.
    List<Transfer> transfers = new ArrayList<>();
    List<ComputeCall> calls = new ArrayList<>();
    int[] step = {0};
    long total = 0;
    if (db) {
      total += emit(loads.get(0), transfers, step, links);
      for (int i = 0; i < count; i++) {
        List<Transfer> next = i + 1 < count ? loads.get(i + 1) : List.of();
        Transfer back = i > 0 ? stores.get(i - 1) : null;
        long dma = overlapDma(next, back, links);
        emit(next, transfers, step, links);
        calls.add(new ComputeCall(step[0]++, i, compute[i], macs[i]));
        if (back != null) {
          transfers.add(back.withStep(step[0]++));
        }
        total += Math.max(compute[i], dma);
      }
      Transfer last = stores.get(count - 1);
      if (last != null) {
        transfers.add(last.withStep(step[0]++));
        total += last.cycles();
      }
    } else {
      for (int i = 0; i < count; i++) {
        total += emit(loads.get(i), transfers, step, links);
        calls.add(new ComputeCall(step[0]++, i, compute[i], macs[i]));
        total += compute[i];
        if (stores.get(i) != null) {
          transfers.add(stores.get(i).withStep(step[0]++));
          total += stores.get(i).cycles();
        }
      }
    }
    transfers.sort(java.util.Comparator.comparingInt(Transfer::step));

    long computeSum = 0;
    long macSum = 0;
    for (int i = 0; i < count; i++) {
      computeSum += compute[i];
      macSum += macs[i];
    }
    long dmaBytes = 0;
    long dmaCycles = 0;
    double energy = macSum * acc.energyPjPerMac();
    for (Transfer x : transfers) {
      dmaBytes += x.bytes();
      dmaCycles += x.cycles();
      energy += x.bytes() * (energyPerByte(x.from()) + energyPerByte(x.to()));
    }
    double util = macSum == 0 ? 0 : (double) macSum / ((double) total * acc.peakMacsPerCycle());
    return new LayerPlan(n, unit, p, t, transfers, calls, t.footprint().l1Bytes(),
        t.footprint().weightMemoryBytes(), dmaBytes, computeSum, dmaCycles, total, util, macSum, energy,
        hw.clockHz(), fused, blob);
  }

  /**
   * A tile's loads from the layer's weight blob: its weights whenever its K or C tile changes,
   * and the parameter records of its output channels (bias, requantization: to L1, beside the
   * outputs they requantize) when its K tile changes. A strided slice takes one DMA command per
   * run unless the engine describes two dimensions in one.
   */
  private static List<Transfer> constantLoads(BlobLayout blob, TileOrder.Tile tile, TileOrder.Tile prev, Links links,
      String l1) {
    List<Transfer> out = new ArrayList<>();
    BlobSlice w = blob.weightSlice(tile.k(), tile.c());
    long cmds = w.runs() == 1 || links.weights().stridedDims() >= 2 ? 1 : w.runs();
    out.add(new Transfer(-1, links.constants(), links.weightTarget(), w.bytes(), Transfer.Kind.WEIGHTS,
        tile.index(), cycles(links.weights(), w.bytes(), cmds), Optional.of(w)));
    if (prev == null || !prev.k().equals(tile.k())) {
      blob.paramSlice(tile.k()).ifPresent(ps -> out.add(new Transfer(-1, links.constants(), l1, ps.bytes(),
          Transfer.Kind.PARAMS, tile.index(), links.params().transferCycles(ps.bytes()), Optional.of(ps))));
    }
    return out;
  }

  /**
   * How a matmul's jobs address their right operand: the batch matrix as the arena holds it
   * ({@link io.kiln.plan.weights.Arrangement.Operand}), with no parameter records.
   */
  static BlobLayout operandLayout(LayerGeometry geo) {
    io.kiln.ir.BatchMatMulLayout m = geo.matmul().orElseThrow();
    return new BlobLayout(new io.kiln.plan.weights.Arrangement.Operand(geo.shape(), m.rhsColStride(),
        m.rhsDepthStride()), new io.kiln.plan.weights.ChannelParams.Format(false,
            io.kiln.plan.weights.ChannelParams.Scheme.NONE));
  }

  /**
   * A matmul tile's right operand, read from the activation arena like an input (not from a blob):
   * the tile's K x C slice of the matrix of its batch (its output row), offset from the start of
   * the operand tensor.
   */
  private static Transfer operandLoad(BlobLayout layout, LayerGeometry geo, TileOrder.Tile tile, Links links) {
    BlobSlice s = layout.weightSlice(tile.k(), tile.c());
    long batch = geo.matmul().orElseThrow().rhsBatch()[tile.y().start()];
    BlobSlice w = new BlobSlice(s.offset() + batch, s.runBytes(), s.strideBytes(), s.runs());
    long cmds = w.runs() == 1 || links.weights().stridedDims() >= 2 ? 1 : w.runs();
    return new Transfer(-1, links.l2(), links.weightTarget(), w.bytes(), Transfer.Kind.WEIGHTS, tile.index(),
        cycles(links.weights(), w.bytes(), cmds), Optional.of(w));
  }

  /**
   * {@code plan} (a tiled plan of a node of {@code g}) with its weights and parameters read from
   * {@code memory} instead: the same tiles, rescheduled with the DMA engines that read that
   * memory. The weight placement uses it when it falls back to read-only memory; empty when no
   * DMA engine moves data from there into the unit's weight memory and L1.
   */
  static Optional<LayerPlan> readingConstantsFrom(HardwareDescription hw, Graph g, LayerPlan plan, String memory) {
    Accelerator acc = ((Unit.AcceleratorUnit) plan.unit()).accelerator();
    Optional<LayerGeometry> geo = LayerGeometry.of(g, plan.node(), plan.fused());
    Optional<Links> links = Links.of(hw, acc).flatMap(l -> l.readingConstantsFrom(hw, memory, acc.l1()));
    if (geo.isEmpty() || links.isEmpty()) {
      return Optional.empty();
    }
    // The pattern ProblemBuilder posed the layer with; rescheduling needs no solver.
    OpPattern pattern = acc.patterns(geo.get().op()).get(0);
    // The same tiles reserve the same L1 (a systolic unit's workspace beyond the tiler's buffers).
    return Optional.of(new LayerPlanner(hw, null).schedule(plan.node(), plan.fused(), (Unit.AcceleratorUnit) plan.unit(),
        geo.get(), pattern, plan.problem(), plan.tiling(), links.get()).withL1Bytes(plan.l1Bytes()));
  }

  /**
   * DMA time of one double-buffered step: the next tile's loads and the previous tile's
   * write-back. Different engines run in parallel; one engine runs as many transfers at once as
   * it has channels (two are enough for a load beside a write-back).
   */
  private static long overlapDma(List<Transfer> next, Transfer back, Links links) {
    Map<DmaEngine, Long> busy = busyByEngine(next, links);
    long in = busy.getOrDefault(links.in(), 0L);
    long out = back == null ? 0 : back.cycles();
    long inOut = links.out() == links.in() && links.in().channels() < 2 ? in + out : Math.max(in, out);
    busy.put(links.in(), inOut);
    return busy.values().stream().mapToLong(Long::longValue).max().orElse(0);
  }

  /** Appends {@code loads} with steps; returns their cycles as exposed (not overlapped) time. */
  private static long emit(List<Transfer> loads, List<Transfer> out, int[] step, Links links) {
    for (Transfer x : loads) {
      out.add(x.withStep(step[0]++));
    }
    return busyByEngine(loads, links).values().stream().mapToLong(Long::longValue).max().orElse(0);
  }

  /**
   * Cycles each DMA engine is busy with {@code loads}: weights on the weight engine, parameter
   * records on theirs, activations on the input engine. Different engines run in parallel.
   */
  private static Map<DmaEngine, Long> busyByEngine(List<Transfer> loads, Links links) {
    Map<DmaEngine, Long> busy = new java.util.IdentityHashMap<>();
    for (Transfer x : loads) {
      DmaEngine e = switch (x.kind()) {
        case WEIGHTS -> links.weights();
        case PARAMS -> links.params();
        case INPUT, OPERAND, OUTPUT -> links.in();
      };
      busy.merge(e, x.cycles(), Long::sum);
    }
    return busy;
  }


  /**
   * DMA commands for a box of a tensor: dimensions (outer to inner, in the unit's layout) that the
   * tile spans fully merge into one contiguous run with the next outer one; the engine describes
   * {@code stridedDims} of what is left in one command, and the outer rest costs one command each.
   */
  static long commands(Layout layout, int tc, int fullC, int rows, int fullRows, int cols, int fullCols,
      DmaEngine dma) {
    if (layout == Layout.CHW && fullC > 1 && (long) rows * cols > 1) {
      // The arena is NHWC: the plan moves a CHW tile one channel at a time, rows x cols single
      // elements strided by the channel count: a 2-D copy when the tile has the tensor's full
      // width (its rows follow each other), else 3-D.
      int dims = rows > 1 && cols > 1 && cols != fullCols ? 3 : 2;
      long perChannel = dims <= dma.stridedDims() ? 1 : dma.stridedDims() == 2 ? rows : (long) rows * cols;
      return tc * perChannel;
    }
    int[] tile = layout == Layout.CHW ? new int[] {tc, rows, cols} : new int[] {rows, cols, tc};
    int[] full = layout == Layout.CHW ? new int[] {fullC, fullRows, fullCols} : new int[] {fullRows, fullCols, fullC};
    int dims = 3;
    int i = 2;
    while (i > 0 && tile[i] == full[i]) {
      dims--;
      i--;
    }
    if (dims <= dma.stridedDims()) {
      return 1;
    }
    long cmds = 1;
    for (int d = 0; d < dims - dma.stridedDims(); d++) {
      cmds *= tile[d];
    }
    return cmds;
  }

  /**
   * A transfer of {@code commands} independent copies: they spread over the engine's channels
   * (each streams at the engine's bandwidth), so a channel runs ceil(commands / channels) setups
   * and its share of the bytes.
   */
  private static long cycles(DmaEngine d, long bytes, long commands) {
    long lanes = Math.max(1, Math.min(commands, d.channels()));
    return ceilDiv(commands, lanes) * d.setupCycles() + (long) Math.ceil(bytes / (d.bandwidthBytesPerCycle() * lanes));
  }

  private double energyPerByte(String memory) {
    return hw.memory(memory).map(MemoryLevel::energyPjPerByte).orElse(0.0);
  }

  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  static String bytes(long b) {
    return String.format(Locale.ROOT, "%,d B", b);
  }
}
