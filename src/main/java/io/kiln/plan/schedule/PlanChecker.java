package io.kiln.plan.schedule;

import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;
import io.kiln.plan.tiling.TilingChecker;
import io.kiln.plan.tiling.Halo;
import io.kiln.plan.weights.BlobLayout;
import io.kiln.plan.weights.BlobSlice;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-checks a layer plan without the planner's formulas: coverage through {@link TilingChecker},
 * then, from the transfers themselves, that each tile's input window is what its outputs read
 * (walking kernel taps), that bytes add up to what the tiles need, that the largest transfer of
 * each buffer (doubled when it streams under double buffering) fits its memory, and that every
 * compute call comes after the loads it needs (inputs, weights and parameter records of its
 * channels), and that every weight or parameter transfer reads, from the layer's weight blob,
 * a slice that holds each of the tile's weights or exactly its channels' records.
 *
 * <p>For a layer with a second operand (an element-wise Add or Mul, or a convolution with a fused
 * residual Add) each output tile's operand must arrive, sized to that tile, before the call that
 * finishes it. For a fused pooling, read from the pooling node itself, no tile may cut a window,
 * every window is written by exactly one tile, and write-backs hold the pooled outputs.
 */
public final class PlanChecker {
  private PlanChecker() {}

  /** Every violation found, one sentence each; empty when the plan is sound. */
  public static List<String> check(LayerPlan plan) {
    List<String> errors = new ArrayList<>();
    if (!plan.tiled()) {
      if (!plan.transfers().isEmpty() || plan.calls().size() != 1) {
        errors.add("a CPU layer has one call and no transfers");
      }
      return errors;
    }
    errors.addAll(TilingChecker.check(plan.problem(), plan.tiling()));
    LayerShape l = plan.problem().layer();
    var acc = ((Unit.AcceleratorUnit) plan.unit()).accelerator();
    String l1Name = acc.l1();
    String weightTarget = acc.weightMemory().map(m -> m.name()).orElse(l1Name);
    var s = plan.problem().sizes();
    var mem = plan.problem().memories();
    List<TileOrder.Tile> tiles = TileOrder.of(l, plan.tiling());
    Window pool = Window.NONE;
    boolean residual = false;
    for (Node f : plan.fused()) {
      switch (f.op()) {
        case Op.Add a -> residual = true;
        case Op.MaxPool2D m -> pool = new Window(m.filterH(), m.filterW(), m.strideH(), m.strideW());
        case Op.AveragePool2D m -> pool = new Window(m.filterH(), m.filterW(), m.strideH(), m.strideW());
        default -> errors.add(f.op().opName() + " cannot run in a convolution's output stage");
      }
    }
    boolean needsOperand = residual || plan.node().op() instanceof Op.Add || plan.node().op() instanceof Op.Mul;
    if (needsOperand != (s.operandBits() > 0)) {
      errors.add(needsOperand ? "the second operand of " + plan.node().op().opName() + " is never loaded"
          : "a second operand is loaded for " + plan.node().op().opName() + ", which has none");
    }
    int[] rowWindows = windows(errors, "rows", Halo.tiles(l.oy(), plan.tiling().tileOY()), l.oy(), pool.fy(),
        pool.sy());
    int[] colWindows = windows(errors, "columns", Halo.tiles(l.ox(), plan.tiling().tileOX()), l.ox(), pool.fx(),
        pool.sx());
    if (plan.calls().size() != tiles.size()) {
      errors.add(plan.calls().size() + " compute calls for " + tiles.size() + " tiles");
      return errors;
    }
    // Steps: a single order over transfers and calls.
    int total = plan.calls().size() + plan.transfers().size();
    boolean[] used = new boolean[total];
    for (int st : plan.calls().stream().mapToInt(ComputeCall::step).toArray()) {
      mark(used, st, errors);
    }
    for (Transfer t : plan.transfers()) {
      mark(used, t.step(), errors);
    }

    long maxIn = 0;
    long maxW = 0;
    long maxParams = 0;
    int inLoads = 0;
    int wLoads = 0;
    long outBytes = 0;
    long maxOperand = 0;
    int operandLoads = 0;
    int stores = 0;
    long macs = 0;
    for (TileOrder.Tile tile : tiles) {
      ComputeCall call = plan.calls().get(tile.index());
      if (call.tileIndex() != tile.index()) {
        errors.add("call " + tile.index() + " computes tile " + call.tileIndex());
      }
      macs += call.macs();
      checkConstantsLoaded(plan, tiles, tile, call, errors);
      // The latest input load for this or an earlier tile issued before the call must read the same
      // window (under double buffering the next tile's load is issued first, into the other buffer).
      Transfer input = latest(plan, Transfer.Kind.INPUT, call.step(), tile.index());
      if (input == null) {
        errors.add("tile " + tile.index() + " computes before any input is loaded");
        continue;
      }
      TileOrder.Tile src = tiles.get(input.tileIndex());
      if (!src.c().equals(tile.c()) || !src.y().equals(tile.y()) || !src.x().equals(tile.x())) {
        errors.add("tile " + tile.index() + " computes on the input of tile " + src.index());
      }
      if (input.tileIndex() == tile.index()) {
        long expected = bytes((long) tile.c().length() * read(tile.y(), l.strideY(), l.dilationY(), l.fy(),
            l.padTop(), l.iy()) * read(tile.x(), l.strideX(), l.dilationX(), l.fx(), l.padLeft(), l.ix())
            * s.inputBits());
        if (input.bytes() != expected) {
          errors.add("tile " + tile.index() + " loads " + input.bytes() + " B of input but its window holds "
              + expected + " B");
        }
      }
      // The operand the output stage adds must be this output tile's.
      if (s.operandBits() > 0 && tile.lastC(l)) {
        Transfer operand = latest(plan, Transfer.Kind.OPERAND, call.step(), tile.index());
        TileOrder.Tile from = operand == null ? null : tiles.get(operand.tileIndex());
        if (from == null || !from.k().equals(tile.k()) || !from.y().equals(tile.y()) || !from.x().equals(tile.x())) {
          errors.add("tile " + tile.index() + " finishes its outputs without their second operand");
        } else if (operand.tileIndex() == tile.index()) {
          long expected = bytes((long) tile.k().length() * tile.y().length() * tile.x().length() * s.operandBits());
          if (operand.bytes() != expected) {
            errors.add("tile " + tile.index() + " loads " + operand.bytes() + " B of the second operand but its"
                + " outputs need " + expected + " B");
          }
        }
      }
    }
    for (Transfer t : plan.transfers()) {
      TileOrder.Tile tile = tiles.get(t.tileIndex());
      switch (t.kind()) {
        case INPUT -> {
          maxIn = Math.max(maxIn, t.bytes());
          inLoads++;
        }
        case WEIGHTS -> {
          // Blocked layouts move whole blocks of channels.
          long cStored = l.depthwise() ? 1 : roundUp(tile.c().length(), s.cBlock());
          long reduction = cStored * l.fy() * l.fx();
          long groups = (reduction + s.sparseM() - 1) / s.sparseM();
          long stored = s.sparseN() == s.sparseM() ? reduction : groups * s.sparseN();
          long w = bytes(roundUp(tile.k().length(), s.kBlock()) * stored * (s.weightBits() + s.indexBits()));
          if (t.bytes() != w) {
            errors.add("tile " + tile.index() + " loads " + t.bytes() + " B of weights into " + t.to()
                + " but its weights take " + w + " B");
          }
          if (!t.to().equals(weightTarget)) {
            errors.add("tile " + tile.index() + " loads weights into " + t.to() + ", not " + weightTarget);
          }
          maxW = Math.max(maxW, w);
          wLoads++;
        }
        case PARAMS -> {
          long p = (long) tile.k().length() * s.paramBytesPerChannel();
          if (t.bytes() != p) {
            errors.add("tile " + tile.index() + " loads " + t.bytes() + " B of parameters but its channels need "
                + p + " B");
          }
          if (!t.to().equals(l1Name)) {
            errors.add("tile " + tile.index() + " loads parameters into " + t.to() + ", not L1 " + l1Name);
          }
          maxParams = Math.max(maxParams, p);
        }
        case OPERAND -> {
          maxOperand = Math.max(maxOperand, t.bytes());
          operandLoads++;
          if (!tile.lastC(l)) {
            errors.add("tile " + tile.index() + " loads a second operand but does not finish its outputs");
          }
        }
        case OUTPUT -> {
          outBytes += t.bytes();
          stores++;
          long expected = bytes((long) tile.k().length() * rowWindows[tile.y().start()]
              * colWindows[tile.x().start()] * s.outputBits());
          if (t.bytes() != expected) {
            errors.add("tile " + tile.index() + " writes " + t.bytes() + " B but its outputs are " + expected + " B");
          }
          ComputeCall producer = plan.calls().get(t.tileIndex());
          if (t.step() < producer.step()) {
            errors.add("outputs of tile " + t.tileIndex() + " are written back before they are computed");
          }
        }
      }
    }
    long outTiles = (long) plan.tiling().tilesK() * plan.tiling().tilesOY() * plan.tiling().tilesOX();
    if (stores != outTiles) {
      errors.add(stores + " output write-backs for " + outTiles + " output tiles");
    }
    if (s.operandBits() > 0 && operandLoads != outTiles) {
      errors.add(operandLoads + " second-operand loads for " + outTiles + " output tiles");
    }
    long pooledRows = (l.oy() - pool.fy()) / pool.sy() + 1;
    long pooledCols = (l.ox() - pool.fx()) / pool.sx() + 1;
    if (outBytes < bytes((long) l.k() * pooledRows * pooledCols * s.outputBits())) {
      errors.add("write-backs move " + outBytes + " B, less than the layer's output");
    }
    if (macs != plan.macs()) {
      errors.add("calls do " + macs + " MACs but the plan says " + plan.macs());
    }

    // Memory: the largest of each buffer, twice when it is loaded more than once under double
    // buffering; a split reduction keeps partial sums at accumulator width.
    boolean db = mem.doubleBuffered();
    var t = plan.tiling();
    boolean splitC = !l.depthwise() && t.tilesC() > 1;
    long maxOutTile = bytes((long) t.tileK() * t.tileOY() * t.tileOX() * (splitC ? s.accumulatorBits()
        : s.outputBits()));
    long l1 = maxIn * (db && inLoads > 1 ? 2 : 1) + maxOutTile * (db && stores > 1 ? 2 : 1)
        + maxOperand * (db && operandLoads > 1 ? 2 : 1)
        + maxParams * (db && t.tilesK() > 1 ? 2 : 1) + (mem.separateWeights() ? 0 : maxW * (db && wLoads > 1 ? 2 : 1));
    if (l1 > mem.l1Bytes()) {
      errors.add("tiles need " + l1 + " B of L1 > " + mem.l1Bytes() + " B");
    }
    if (mem.separateWeights()) {
      long w = maxW * (db && wLoads > 1 ? 2 : 1);
      if (w > mem.weightMemoryBytes()) {
        errors.add("weight tiles need " + w + " B > weight memory " + mem.weightMemoryBytes() + " B");
      }
    }
    if (plan.totalCycles() < plan.computeCycles()) {
      errors.add("total cycles " + plan.totalCycles() + " below compute " + plan.computeCycles());
    }
    if (plan.totalCycles() > plan.computeCycles() + plan.dmaCycles()) {
      errors.add("total cycles " + plan.totalCycles() + " above compute + DMA");
    }
    if (plan.macUtilization() > 1.0 + 1e-9) {
      errors.add("MAC utilization " + plan.macUtilization() + " above 1");
    }
    checkBlobReads(plan, tiles, errors);
    return errors;
  }

  /** A pooling window and stride ({@link #NONE}: every output its own window). */
  private record Window(int fy, int fx, int sy, int sx) {
    static final Window NONE = new Window(1, 1, 1, 1);
  }

  /**
   * Along one axis of {@code size} conv outputs pooled by windows of {@code f} every {@code s}:
   * checks that each window lies inside exactly one tile span and none is cut, and returns, by
   * span start, how many windows each span holds.
   */
  private static int[] windows(List<String> errors, String axis, Span[] spans, int size, int f, int s) {
    int[] held = new int[size];
    int count = size < f ? 0 : (size - f) / s + 1;
    if (count == 0) {
      errors.add("the " + size + " conv output " + axis + " hold no whole " + f + "-wide pooling window");
    }
    for (int w = 0; w < count; w++) {
      int first = w * s;
      int last = first + f - 1;
      int owners = 0;
      for (Span sp : spans) {
        boolean holdsFirst = first >= sp.start() && first < sp.end();
        boolean holdsLast = last >= sp.start() && last < sp.end();
        if (holdsFirst && holdsLast) {
          owners++;
          held[sp.start()]++;
        } else if (holdsFirst || holdsLast) {
          errors.add("tile " + axis + " " + sp.start() + ".." + (sp.end() - 1) + " cut the pooling window "
              + first + ".." + last);
        }
      }
      if (owners != 1) {
        errors.add("pooling window " + axis + " " + first + ".." + last + " is written by " + owners + " tiles");
      }
    }
    return held;
  }

  /** The latest weight and parameter loads before a tile's call hold its channels. */
  private static void checkConstantsLoaded(LayerPlan plan, List<TileOrder.Tile> tiles, TileOrder.Tile tile,
      ComputeCall call, List<String> errors) {
    if (plan.weightBlob().isEmpty()) {
      return;
    }
    Transfer w = latest(plan, Transfer.Kind.WEIGHTS, call.step(), tile.index());
    if (w == null) {
      errors.add("tile " + tile.index() + " computes before any weights are loaded");
    } else {
      TileOrder.Tile src = tiles.get(w.tileIndex());
      if (!src.k().equals(tile.k()) || !src.c().equals(tile.c())) {
        errors.add("tile " + tile.index() + " computes with the weights of tile " + src.index());
      }
    }
    if (plan.problem().sizes().paramBytesPerChannel() > 0) {
      Transfer p = latest(plan, Transfer.Kind.PARAMS, call.step(), tile.index());
      if (p == null || !tiles.get(p.tileIndex()).k().equals(tile.k())) {
        errors.add("tile " + tile.index() + " computes without the parameters of its output channels");
      }
    }
  }

  /**
   * Every weight and parameter transfer names a slice of the layer's blob that lies in the
   * right region and holds exactly what the tile needs: each of the tile's weights sits in a
   * byte the slice reads, and parameters are the records of the tile's channels.
   */
  private static void checkBlobReads(LayerPlan plan, List<TileOrder.Tile> tiles, List<String> errors) {
    for (Transfer t : plan.transfers()) {
      boolean constant = t.kind() == Transfer.Kind.WEIGHTS || t.kind() == Transfer.Kind.PARAMS;
      if (!constant) {
        if (t.source().isPresent()) {
          errors.add(t.kind() + " transfer at step " + t.step() + " reads the weight blob");
        }
        continue;
      }
      if (plan.weightBlob().isEmpty() || t.source().isEmpty()) {
        errors.add(t.kind() + " transfer at step " + t.step() + " names no slice of a weight blob");
        continue;
      }
      BlobLayout blob = plan.weightBlob().get();
      BlobSlice slice = t.source().get();
      TileOrder.Tile tile = tiles.get(t.tileIndex());
      if (t.kind() == Transfer.Kind.PARAMS) {
        int pb = plan.problem().sizes().paramBytesPerChannel();
        BlobSlice expected = BlobSlice.contiguous(blob.paramsOffset() + (long) tile.k().start() * pb,
            (long) tile.k().length() * pb);
        if (!slice.equals(expected) || slice.end() > blob.bytes()) {
          errors.add("parameters of tile " + tile.index() + " read " + slice + ", not their records " + expected);
        }
        continue;
      }
      if (blob.weights() instanceof io.kiln.plan.weights.Arrangement.Operand op) {
        // A matmul's right operand: the tile's slice of its batch's matrix, whole matrices apart.
        BlobSlice one = op.slice(tile.k(), tile.c());
        long batch = slice.offset() - one.offset();
        if (batch < 0 || batch % op.bytes() != 0 || slice.runBytes() != one.runBytes()
            || slice.strideBytes() != one.strideBytes() || slice.runs() != one.runs()) {
          errors.add("weights of tile " + tile.index() + " read " + slice + ", not the tile's slice " + one
              + " of a batch's right operand");
        }
        continue;
      }
      if (slice.end() > blob.weights().bytes()) {
        errors.add("weights of tile " + tile.index() + " read " + slice + " past the weights region ("
            + blob.weights().bytes() + " B)");
        continue;
      }
      if (blob.weights() instanceof io.kiln.plan.weights.NmTiles nm) {
        // N:M tiles place no pruned weight: the tile's values and offsets are one run of their own.
        BlobSlice expected = nm.slice(tile.k(), tile.c());
        if (!slice.equals(expected)) {
          errors.add("weights of tile " + tile.index() + " read " + slice + ", not its " + nm.format()
              + " values and offsets " + expected);
        }
        continue;
      }
      LayerShape l = plan.problem().layer();
      Span cs = l.depthwise() ? new Span(0, 1) : tile.c();
      search:
      for (int k = tile.k().start(); k < tile.k().end(); k++) {
        for (int c = cs.start(); c < cs.end(); c++) {
          for (int fy = 0; fy < l.fy(); fy++) {
            for (int fx = 0; fx < l.fx(); fx++) {
              if (!slice.covers(blob.weights().bitOffset(k, c, fy, fx) / 8)) {
                errors.add("weights of tile " + tile.index() + " read " + slice + ", which misses weight (k " + k
                    + ", c " + c + ", fy " + fy + ", fx " + fx + ")");
                break search;
              }
            }
          }
        }
      }
    }
  }

  private static void mark(boolean[] used, int step, List<String> errors) {
    if (step < 0 || step >= used.length) {
      errors.add("step " + step + " out of range");
    } else if (used[step]) {
      errors.add("step " + step + " used twice");
    } else {
      used[step] = true;
    }
  }

  private static Transfer latest(LayerPlan plan, Transfer.Kind kind, int before, int maxTile) {
    Transfer best = null;
    for (Transfer t : plan.transfers()) {
      if (t.kind() == kind && t.step() < before && t.tileIndex() <= maxTile && (best == null || t.step() > best.step())) {
        best = t;
      }
    }
    return best;
  }

  /** Input rows (columns) the outputs {@code out} read, found tap by tap. */
  private static long read(Span out, int stride, int dilation, int taps, int pad, int size) {
    int first = Integer.MAX_VALUE;
    int last = Integer.MIN_VALUE;
    for (int o = out.start(); o < out.end(); o++) {
      for (int j = 0; j < taps; j++) {
        int i = o * stride - pad + j * dilation;
        if (i >= 0 && i < size) {
          first = Math.min(first, i);
          last = Math.max(last, i);
        }
      }
    }
    return first > last ? 0 : last - first + 1;
  }

  private static long roundUp(long v, long block) {
    return (v + block - 1) / block * block;
  }

  private static long bytes(long bits) {
    return (bits + 7) / 8;
  }
}
