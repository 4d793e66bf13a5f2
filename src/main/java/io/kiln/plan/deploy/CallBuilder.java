package io.kiln.plan.deploy;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.plan.schedule.ComputeCall;
import io.kiln.plan.schedule.LayerGeometry;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.schedule.TileOrder;
import io.kiln.plan.schedule.Transfer;
import io.kiln.plan.schedule.Unit;
import io.kiln.plan.tiling.Footprint;
import io.kiln.plan.tiling.Halo;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;
import io.kiln.plan.weights.BlobSlice;
import io.kiln.target.Accelerator;
import io.kiln.target.MemoryLevel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one tiled layer plan into an accelerator call with addresses: lays its buffers out in L1
 * (and the weight memory) in the order and sizes the tiler reserved, gives every planned transfer
 * a descriptor (source and destination memory, address, strides, sizes) and every tile a job,
 * and inserts the waits that keep a buffer from being overwritten before its last read.
 *
 * <p>The transfers and their order are the layer plan's; this class adds only where they go, so
 * the plan and its cost estimate cannot disagree about what moves. A descriptor's size that
 * differs from the planned transfer's is a bug, and throws.
 */
final class CallBuilder {
  private final Graph graph;
  private final Map<Integer, Region> arena;

  CallBuilder(Graph graph, Map<Integer, Region> arena) {
    this.graph = graph;
    this.arena = arena;
  }

  Step.AcceleratorCall build(int nodeIndex, List<Integer> fusedIndices, LayerPlan plan, Optional<Region> blob) {
    Node n = plan.node();
    Accelerator acc = ((Unit.AcceleratorUnit) plan.unit()).accelerator();
    LayerGeometry geo = LayerGeometry.of(graph, n, plan.fused()).orElseThrow();
    LayerShape l = geo.shape();
    List<TileOrder.Tile> tiles = TileOrder.of(l, plan.tiling());
    Footprint fp = plan.tiling().footprint();
    Footprint.Copies copies = Footprint.Copies.of(plan.problem(), plan.tiling().sizes());

    // Buffers: inputs, outputs, operands, parameters, then weights (unless the unit has a weight
    // memory of its own, where they start at 0).
    List<Step.Buffer> buffers = new ArrayList<>();
    long at = 0;
    at = lay(buffers, Transfer.Kind.INPUT, acc.l1(), at, fp.inputBytes(), copies.input());
    at = lay(buffers, Transfer.Kind.OUTPUT, acc.l1(), at, fp.outputBytes(), copies.output());
    at = lay(buffers, Transfer.Kind.OPERAND, acc.l1(), at, fp.operandBytes(), copies.output());
    at = lay(buffers, Transfer.Kind.PARAMS, acc.l1(), at, fp.paramBytes(), copies.params());
    Optional<MemoryLevel> wm = acc.weightMemory();
    if (wm.isPresent()) {
      lay(buffers, Transfer.Kind.WEIGHTS, wm.get().name(), 0, fp.weightMemoryBytes(), copies.weights());
    } else {
      lay(buffers, Transfer.Kind.WEIGHTS, acc.l1(), at, fp.weightBytes(), copies.weights());
    }

    TensorPlace input = place(n.input(0), l.iy(), l.ix(), l.c());
    int out = plan.fused().isEmpty() ? n.output() : plan.fused().get(plan.fused().size() - 1).output();
    TensorPlace output = place(out, l.oy() / geo.poolY(), l.ox() / geo.poolX(), l.k());
    Optional<TensorPlace> operand = operandValue(n, plan.fused())
        .map(id -> place(id, geo.operandRows(), geo.operandCols(), l.k()));
    // A matmul's weights are its right operand, read from the arena where no blob holds them.
    Optional<Region> weightSource = geo.dynamicWeights()
        ? Optional.of(arenaRegion(n.input(Op.BatchMatMul.RHS))) : blob;

    // Which copy of each buffer every tile uses: a new copy per load (per output tile for
    // outputs and operands), loads in tile order.
    int count = tiles.size();
    int[] outCopy = new int[count];
    int next = -1;
    for (TileOrder.Tile t : tiles) {
      if (firstC(l, t)) {
        next++;
      }
      outCopy[t.index()] = next % copies.output();
    }
    List<Transfer> ordered = new ArrayList<>(plan.transfers());
    ordered.sort(Comparator.comparingInt(Transfer::tileIndex).thenComparingInt(Transfer::step));
    int[][] copyOf = new int[Transfer.Kind.values().length][count];
    int[] loads = new int[Transfer.Kind.values().length];
    for (int[] row : copyOf) {
      java.util.Arrays.fill(row, -1);
    }
    for (Transfer x : ordered) {
      if (x.kind() == Transfer.Kind.INPUT || x.kind() == Transfer.Kind.WEIGHTS || x.kind() == Transfer.Kind.PARAMS) {
        int k = x.kind().ordinal();
        int n2 = copies(copies, x.kind());
        copyOf[k][x.tileIndex()] = loads[k]++ % n2;
      }
    }
    for (int[] row : copyOf) {
      for (int t = 1; t < count; t++) {
        if (row[t] < 0) {
          row[t] = row[t - 1];
        }
      }
    }

    List<TileJob> jobs = new ArrayList<>();
    for (TileOrder.Tile t : tiles) {
      boolean first = firstC(l, t);
      boolean last = t.lastC(l);
      Span rows = Halo.rows(l, t.y());
      Span cols = Halo.cols(l, t.x());
      jobs.add(new TileJob(t.index(), t.k(), t.c(), t.y(), t.x(), rows, cols,
          buffer(buffers, Transfer.Kind.INPUT, copyOf[Transfer.Kind.INPUT.ordinal()][t.index()]).region(),
          geo.hasWeights() ? Optional.of(buffer(buffers, Transfer.Kind.WEIGHTS,
              copyOf[Transfer.Kind.WEIGHTS.ordinal()][t.index()]).region()) : Optional.empty(),
          copyOf[Transfer.Kind.PARAMS.ordinal()][t.index()] >= 0 ? Optional.of(buffer(buffers, Transfer.Kind.PARAMS,
              copyOf[Transfer.Kind.PARAMS.ordinal()][t.index()]).region()) : Optional.empty(),
          buffer(buffers, Transfer.Kind.OUTPUT, outCopy[t.index()]).region(),
          operand.map(o -> buffer(buffers, Transfer.Kind.OPERAND, outCopy[t.index()]).region()), first, last));
    }

    // The program: the plan's transfers and calls in step order, each transfer with its
    // descriptor, and waits where a job or a transfer would otherwise touch a buffer too early.
    List<Object> steps = new ArrayList<>();
    steps.addAll(plan.transfers());
    steps.addAll(plan.calls());
    steps.sort(Comparator.comparingInt(o -> o instanceof Transfer x ? x.step() : ((ComputeCall) o).step()));
    Program program = new Program();
    for (Object s : steps) {
      if (s instanceof Transfer x) {
        TileJob job = jobs.get(x.tileIndex());
        List<DmaDescriptor> ds = descriptors(program, x, job, geo, input, output, operand, weightSource, acc);
        long bytes = ds.stream().mapToLong(DmaDescriptor::bytes).sum();
        if (bytes != x.bytes()) {
          throw new IllegalStateException("descriptors of " + bytes + " B for a planned " + x.kind() + " transfer of "
              + x.bytes() + " B (tile " + x.tileIndex() + " of %" + n.output() + ")");
        }
        for (DmaDescriptor d : ds) {
          program.start(d);
        }
      } else {
        program.run(jobs.get(((ComputeCall) s).tileIndex()));
      }
    }
    program.waitAll();
    return new Step.AcceleratorCall(nodeIndex, fusedIndices, acc, geo, plan.tiling(), input, output, operand, blob,
        plan.weightBlob(), buffers, jobs, program.actions);
  }

  private static boolean firstC(LayerShape l, TileOrder.Tile t) {
    return l.depthwise() || t.c().start() == 0;
  }

  private static int copies(Footprint.Copies c, Transfer.Kind k) {
    return switch (k) {
      case INPUT -> c.input();
      case WEIGHTS -> c.weights();
      case PARAMS -> c.params();
      case OUTPUT, OPERAND -> c.output();
    };
  }

  private static long lay(List<Step.Buffer> out, Transfer.Kind role, String memory, long at, long total, int copies) {
    long each = total / copies;
    for (int i = 0; i < copies; i++) {
      out.add(new Step.Buffer(role, i, new Region(memory, at + i * each, each)));
    }
    return at + each * copies;
  }

  private static Step.Buffer buffer(List<Step.Buffer> buffers, Transfer.Kind role, int copy) {
    return buffers.stream().filter(b -> b.role() == role && b.copy() == copy).findFirst()
        .orElseThrow(() -> new IllegalStateException("no " + role + " buffer " + copy));
  }

  /** The second operand: an element-wise layer's right operand, or a fused residual Add's skip tensor. */
  private Optional<Integer> operandValue(Node n, List<Node> fused) {
    if (n.op() instanceof Op.Add || n.op() instanceof Op.Mul) {
      return Optional.of(n.input(1));
    }
    int current = n.output();
    for (Node f : fused) {
      if (f.op() instanceof Op.Add) {
        int lhs = f.input(Op.Add.LHS);
        return Optional.of(lhs == current ? f.input(Op.Add.RHS) : lhs);
      }
      current = f.output();
    }
    return Optional.empty();
  }

  private Region arenaRegion(int value) {
    Region r = arena.get(value);
    if (r == null) {
      throw new IllegalStateException("value %" + value + " has no place in the arena");
    }
    return r;
  }

  private TensorPlace place(int value, int rows, int cols, int channels) {
    Region r = arena.get(value);
    if (r == null) {
      throw new IllegalStateException("value %" + value + " has no place in the arena");
    }
    return new TensorPlace(value, r, rows, cols, channels, graph.value(value).dtype().bytes());
  }

  /**
   * The descriptors of one planned transfer: one for weights, parameters and the activation tiles
   * of a unit that keeps them HWC; one per channel for a unit that keeps its tiles CHW, which is
   * where the plan converts NHWC to CHW (and back on write-back).
   */
  private static List<DmaDescriptor> descriptors(Program program, Transfer x, TileJob job, LayerGeometry geo,
      TensorPlace input, TensorPlace output, Optional<TensorPlace> operand, Optional<Region> blob, Accelerator acc) {
    String engine = x.from() + "->" + x.to();
    boolean chw = acc.layout() == io.kiln.target.Layout.CHW;
    List<DmaDescriptor> out = new ArrayList<>();
    switch (x.kind()) {
      case INPUT -> activation(out, program, x, engine, input, job.inRows(), job.inCols(), job.c(), job.input(), chw,
          true);
      case OPERAND -> activation(out, program, x, engine, operand.orElseThrow(), job.y(), job.x(), job.k(),
          job.operand().orElseThrow(), chw, true);
      case OUTPUT -> {
        Span ys = new Span(job.y().start() / geo.poolY(), job.y().length() / geo.poolY());
        Span xs = new Span(job.x().start() / geo.poolX(), job.x().length() / geo.poolX());
        activation(out, program, x, engine, output, ys, xs, job.k(), job.output(), chw, false);
      }
      case WEIGHTS, PARAMS -> {
        BlobSlice s = x.source().orElseThrow();
        Region b = blob.orElseThrow(() -> new IllegalStateException("weights of a layer without a placed blob"));
        Region dst = x.kind() == Transfer.Kind.WEIGHTS ? job.weights().orElseThrow() : job.params().orElseThrow();
        out.add(new DmaDescriptor(program.nextId(), x.kind(), x.tileIndex(), engine, b.memory(),
            b.offset() + s.offset(), dst.memory(), dst.offset(), s.runBytes(), s.runs(), 1, s.strideBytes(),
            s.strideBytes() * s.runs(), s.runBytes(), s.runBytes() * s.runs()));
      }
    }
    return out;
  }

  /** The descriptors moving a (rows, cols, channels) tile between an NHWC tensor and a buffer. */
  private static void activation(List<DmaDescriptor> out, Program program, Transfer x, String engine, TensorPlace t,
      Span rows, Span cols, Span channels, Region buffer, boolean chw, boolean load) {
    // A one-pixel tile (a fully-connected layer's vector) is the same bytes in CHW and HWC: one copy.
    if (!chw || (long) rows.length() * cols.length() == 1) {
      out.add(tile(program.nextId(), x, engine, t, rows, cols, channels, buffer, load));
      return;
    }
    long e = t.elementBytes();
    long plane = (long) rows.length() * cols.length() * e;
    for (int ch = 0; ch < channels.length(); ch++) {
      Span one = new Span(channels.start() + ch, 1);
      Region part = buffer.sub(ch * plane, plane);
      out.add(tile(program.nextId(), x, engine, t, rows, cols, one, part, load));
    }
  }

  /**
   * A (rows, cols, channels) tile of an NHWC tensor in L2 moved into ({@code load}) or out of a
   * dense HWC buffer.
   */
  private static DmaDescriptor tile(int id, Transfer x, String engine, TensorPlace t, Span rows, Span cols,
      Span channels, Region buffer, boolean load) {
    long e = t.elementBytes();
    long run = channels.length() * e;
    long at = t.address(rows.start(), cols.start(), channels.start());
    long row = (long) t.channels() * e;
    long plane = (long) t.cols() * t.channels() * e;
    long denseRow = run;
    long densePlane = run * cols.length();
    return load
        ? shaped(id, x, engine, t.region().memory(), at, buffer.memory(), buffer.offset(), run, cols.length(),
            rows.length(), row, plane, denseRow, densePlane)
        : shaped(id, x, engine, buffer.memory(), buffer.offset(), t.region().memory(), at, run, cols.length(),
            rows.length(), denseRow, densePlane, row, plane);
  }

  /** A descriptor with contiguous dimensions merged, so a whole-width tile is one run. */
  private static DmaDescriptor shaped(int id, Transfer x, String engine, String src, long srcAddr, String dst,
      long dstAddr, long run, long rows, long planes, long srcRow, long srcPlane, long dstRow, long dstPlane) {
    if (rows > 1 && srcRow == run && dstRow == run) {
      run *= rows;
      rows = 1;
      srcRow = run;
      dstRow = run;
    }
    if (rows == 1 && planes > 1) {
      rows = planes;
      planes = 1;
      srcRow = srcPlane;
      dstRow = dstPlane;
    }
    if (planes > 1 && srcPlane == rows * srcRow && dstPlane == rows * dstRow) {
      rows *= planes;
      planes = 1;
    }
    if (rows > 1 && srcRow == run && dstRow == run) {
      run *= rows;
      rows = 1;
      srcRow = run;
      dstRow = run;
    }
    return new DmaDescriptor(id, x.kind(), x.tileIndex(), engine, src, srcAddr, dst, dstAddr, run, rows, planes,
        rows > 1 ? srcRow : run, planes > 1 ? srcPlane : run * rows, rows > 1 ? dstRow : run,
        planes > 1 ? dstPlane : run * rows);
  }

  /** The program under construction, with the transfers in flight. */
  private static final class Program {
    final List<Action> actions = new ArrayList<>();
    final List<DmaDescriptor> inFlight = new ArrayList<>();
    int ids;

    int nextId() {
      return ids++;
    }

    void start(DmaDescriptor d) {
      // A transfer waits for those still reading or writing what it writes, and for those
      // writing what it reads.
      // Exact bytes, not bounds: per-channel copies of a CHW tile interleave without sharing one.
      waitFor(f -> f.dstBytes().intersects(d.dstBytes()) || f.srcBytes().intersects(d.dstBytes())
          || f.dstBytes().intersects(d.srcBytes()));
      actions.add(new Action.Start(d));
      inFlight.add(d);
    }

    void run(TileJob j) {
      List<Region> reads = new ArrayList<>();
      reads.add(j.input());
      j.weights().ifPresent(reads::add);
      j.params().ifPresent(reads::add);
      j.operand().ifPresent(reads::add);
      reads.add(j.output());
      // A job reads its buffers once the loads into them are done, and writes its output buffer
      // once no write-back still reads it.
      waitFor(f -> reads.stream().anyMatch(r -> f.dstBytes().intersects(r)) || f.srcBytes().intersects(j.output()));
      actions.add(new Action.Run(j.tile()));
    }

    void waitAll() {
      waitFor(f -> true);
    }

    private void waitFor(java.util.function.Predicate<DmaDescriptor> p) {
      List<Integer> ids = new ArrayList<>();
      inFlight.removeIf(f -> {
        if (p.test(f)) {
          ids.add(f.id());
          return true;
        }
        return false;
      });
      if (!ids.isEmpty()) {
        actions.add(new Action.Wait(ids));
      }
    }
  }
}
