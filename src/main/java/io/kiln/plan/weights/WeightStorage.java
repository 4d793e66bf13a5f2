package io.kiln.plan.weights;

import io.kiln.plan.tiling.Dim;
import io.kiln.plan.tiling.ElementSizes;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.TileConstraint;
import io.kiln.target.Accelerator;
import io.kiln.target.LoopDim;
import io.kiln.target.OpPattern;
import io.kiln.target.WeightLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import io.kiln.ir.Encoding;

/**
 * How one accelerator stores the weights of layers of one pattern: the bits per weight and the
 * channel blocks, derived from the description's {@link WeightLayout} and the pattern's
 * unrolling, so the tiler, the DMA transfers and the packed blobs agree on every byte.
 *
 * <p>{@code tflite} and {@code array_blocks} store each weight in a byte (ternary values too:
 * only a crossbar packs cells). {@code array_blocks} blocks a loop that the pattern unrolls alone
 * on an array dimension by that dimension's factor: K (a depthwise layer's channels, unless
 * depthwise is emulated one channel per call) and C. {@code crossbar} packs cells of the
 * array's width and pads each row of a K tile to whole bytes, which rounds the tile's channels
 * up to a multiple of the cells per byte. {@code array_tiles} cuts tiles on the same blocks as
 * {@code array_blocks} but stores each tile of the tiling unpadded ({@link Arrangement.ArrayTiles}),
 * so its sizes have no blocks.
 *
 * @param layout the description's choice
 * @param bits bits per stored weight
 * @param kBlock output channels per block (1: unblocked); for {@code array_tiles} the multiple K
 *     tiles are cut in, nothing padded
 * @param cBlock input channels per block (1: unblocked); the same for C
 * @param rowOrder a crossbar's rows, outermost loop first (empty for other layouts)
 * @param sparse the N:M format of a unit that stores the layer's weights sparse ({@link NmTiles},
 *     whatever its dense {@code layout}); empty for dense storage
 * @param offsetBits bits of one stored offset of {@code sparse} (0 when dense)
 * @param sparseKBlock the channels whose values of one reduction step an N:M tile stores together:
 *     the factor of the array dimension that unrolls K alone (1 when none does; see {@link NmTiles})
 */
public record WeightStorage(WeightLayout layout, int bits, int kBlock, int cBlock, List<LoopDim> rowOrder,
    Optional<Encoding.NM> sparse, int offsetBits, int sparseKBlock) {

  public WeightStorage {
    rowOrder = List.copyOf(rowOrder);
  }

  /** Dense storage. */
  public WeightStorage(WeightLayout layout, int bits, int kBlock, int cBlock, List<LoopDim> rowOrder) {
    this(layout, bits, kBlock, cBlock, rowOrder, Optional.empty(), 0, 1);
  }

  /**
   * N:M storage in {@code format} with {@code offsetBits} offsets ({@link NmTiles}) for layers
   * that {@code pattern} runs: int8 values, no padded blocks in the sizes (a tile stores the values
   * of its own channels; a partial array block of K just leaves columns idle), each reduction
   * step's values stored together for the channels the pattern unrolls K on.
   */
  public static WeightStorage sparse(WeightLayout layout, OpPattern pattern, Encoding.NM format, int offsetBits) {
    return new WeightStorage(layout, 8, 1, 1, List.of(), Optional.of(format), offsetBits,
        factorAlone(pattern, LoopDim.K));
  }

  /**
   * The storage of layers that {@code pattern} of {@code acc} runs; {@code arrayBits} is the
   * width of the weight format the array holds for this layer (2 for ternary cells).
   */
  public static WeightStorage of(Accelerator acc, OpPattern pattern, boolean depthwise, int arrayBits) {
    return switch (acc.weightLayout()) {
      case TFLITE -> new WeightStorage(WeightLayout.TFLITE, 8, 1, 1, List.of());
      case ARRAY_BLOCKS, ARRAY_TILES -> {
        boolean emulated = depthwise && pattern.depthwise().orElse(null) == Accelerator.DepthwiseSupport.EMULATED;
        int k = factorAlone(pattern, LoopDim.K);
        int c = factorAlone(pattern, LoopDim.C);
        // A depthwise channel is both K and C: whichever is unrolled blocks the channels.
        int channels = emulated ? 1 : Math.max(k, c);
        yield depthwise ? new WeightStorage(acc.weightLayout(), 8, channels, 1, List.of())
            : new WeightStorage(acc.weightLayout(), 8, k, c, List.of());
      }
      case CROSSBAR -> {
        if (arrayBits < 1 || 8 % arrayBits != 0) {
          throw new IllegalArgumentException("crossbar cells of " + arrayBits + " bits do not pack whole bytes");
        }
        List<LoopDim> rows = new ArrayList<>();
        pattern.unroll().stream().filter(u -> u.loops().contains(LoopDim.C)).findFirst()
            .ifPresent(u -> rows.addAll(u.loops()));
        // A fully-connected pattern unrolls C alone; its taps are 1x1, so their place is moot.
        for (LoopDim d : List.of(LoopDim.C, LoopDim.FY, LoopDim.FX)) {
          if (!rows.contains(d)) {
            rows.add(d);
          }
        }
        yield new WeightStorage(WeightLayout.CROSSBAR, arrayBits, 8 / arrayBits, 1, rows);
      }
    };
  }

  /** The factor of the unroll entry that unrolls {@code loop} alone; 1 when none does. */
  private static int factorAlone(OpPattern pattern, LoopDim loop) {
    return pattern.unroll().stream().filter(u -> u.loops().equals(List.of(loop)))
        .mapToInt(u -> Math.max(1, u.factor())).findFirst().orElse(1);
  }

  /** {@code sizes} with this storage's weight bits and blocks (and N:M values plus offsets). */
  public ElementSizes applyTo(ElementSizes sizes) {
    // Array tiles are cut on the blocks but store no padding.
    boolean padded = layout != WeightLayout.ARRAY_TILES;
    ElementSizes s = sizes.withWeightBits(bits).withBlocks(padded ? kBlock : 1, padded ? cBlock : 1);
    return sparse.map(f -> s.withSparsity(f.n(), f.m(), offsetBits)).orElse(s);
  }

  /**
   * The tile sizes blocks impose: array blocks are fixed in the blob, so a tile is whole blocks
   * (or the whole dimension); a crossbar image is cut per tile and needs nothing. N:M tiles keep
   * the layer's groups whole: C tiles are multiples of M when C is, else C is not cut.
   */
  public List<TileConstraint> constraints(LayerShape shape) {
    List<TileConstraint> out = new ArrayList<>();
    if (sparse.isPresent()) {
      int m = sparse.get().m();
      out.add(shape.c() % m == 0 ? new TileConstraint.MultipleOf(Dim.C, m) : new TileConstraint.Untiled(Dim.C));
      return out;
    }
    if (layout == WeightLayout.ARRAY_BLOCKS || layout == WeightLayout.ARRAY_TILES) {
      if (kBlock > 1) {
        out.add(new TileConstraint.MultipleOf(Dim.K, kBlock));
      }
      if (cBlock > 1) {
        out.add(new TileConstraint.MultipleOf(Dim.C, cBlock));
      }
    }
    return out;
  }

  /**
   * Where the weights of {@code shape} sit when its K tiles are {@code tileK} channels wide and its
   * C tiles {@code tileC}.
   */
  public Arrangement arrange(LayerShape shape, int tileK, int tileC) {
    if (sparse.isPresent()) {
      return new NmTiles(shape, sparse.get(), tileK, tileC, offsetBits, sparseKBlock);
    }
    return switch (layout) {
      case TFLITE -> new Arrangement.ModelOrder(shape);
      case ARRAY_BLOCKS -> new Arrangement.ArrayBlocks(shape, kBlock, cBlock);
      case ARRAY_TILES -> new Arrangement.ArrayTiles(shape, tileK, shape.depthwise() ? 1 : tileC);
      case CROSSBAR -> new Arrangement.Crossbar(shape, tileK, bits, rowOrder);
    };
  }
}
