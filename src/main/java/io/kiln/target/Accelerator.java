package io.kiln.target;

import java.util.List;
import java.util.Optional;

/**
 * One accelerator: its compute array, the operator patterns it executes (each with its
 * constraints and how its loops unroll on the array), its memories, its fixed costs and the
 * heuristics the tiler maximizes for it.
 *
 * @param peakMacsPerCycle MACs per cycle when every array cell is busy; utilization is measured
 *     against it
 * @param array the named dimensions of the compute array ({@code rows: 16, cols: 16})
 * @param layout activation layout it reads and writes
 * @param l1 the shared memory its activation tiles live in (the tiler's budget)
 * @param weightMemory its private weight memory ({@code <name>.weights}); absent when weights
 *     share {@code l1} with the activations
 * @param perCallOverheadCycles fixed cost of one accelerator call (configuration, start, sync)
 * @param doubleBuffering whether DMA of the next tile overlaps compute of this one, so the
 *     tiler must fit two of each tile buffer in L1
 * @param energyPjPerMac energy of one MAC, for the energy report
 * @param weightLayout how its weights are stored for its DMA (the planner lays each layer's
 *     weights out that way and sizes weight transfers by it)
 * @param timing how a simulator times one job of the array ({@link ArrayTiming})
 * @param sparsity the N:M sparse weight formats its conv and fully-connected patterns take
 *     ({@link Sparsity#NONE}: dense only)
 * @param systolic how the SRAM arrays of a {@link Kind#SYSTOLIC} unit feed it; empty for other
 *     kinds (and for a systolic unit that leaves it to the defaults)
 */
public record Accelerator(String name, Kind kind, long peakMacsPerCycle, List<ArrayDim> array,
    Layout layout, String l1, Optional<MemoryLevel> weightMemory, List<OpPattern> patterns,
    long perCallOverheadCycles, boolean doubleBuffering, double energyPjPerMac,
    TilingPolicy tiling, WeightLayout weightLayout, ZeroPoints zeroPoints, ArrayTiming timing,
    Sparsity sparsity, java.util.Optional<SystolicFeed> systolic) {

  public Accelerator {
    array = List.copyOf(array);
    patterns = List.copyOf(patterns);
    java.util.Objects.requireNonNull(zeroPoints);
    java.util.Objects.requireNonNull(timing);
    java.util.Objects.requireNonNull(sparsity);
    java.util.Objects.requireNonNull(systolic);
  }

  /** An accelerator that takes dense weights only and is not a configured systolic unit. */
  public Accelerator(String name, Kind kind, long peakMacsPerCycle, List<ArrayDim> array,
      Layout layout, String l1, Optional<MemoryLevel> weightMemory, List<OpPattern> patterns,
      long perCallOverheadCycles, boolean doubleBuffering, double energyPjPerMac,
      TilingPolicy tiling, WeightLayout weightLayout, ZeroPoints zeroPoints, ArrayTiming timing) {
    this(name, kind, peakMacsPerCycle, array, layout, l1, weightMemory, patterns,
        perCallOverheadCycles, doubleBuffering, energyPjPerMac, tiling, weightLayout, zeroPoints,
        timing, Sparsity.NONE, Optional.empty());
  }

  /** An accelerator whose simulated timing is the planner's array steps. */
  public Accelerator(String name, Kind kind, long peakMacsPerCycle, List<ArrayDim> array,
      Layout layout, String l1, Optional<MemoryLevel> weightMemory, List<OpPattern> patterns,
      long perCallOverheadCycles, boolean doubleBuffering, double energyPjPerMac,
      TilingPolicy tiling, WeightLayout weightLayout, ZeroPoints zeroPoints) {
    this(name, kind, peakMacsPerCycle, array, layout, l1, weightMemory, patterns,
        perCallOverheadCycles, doubleBuffering, energyPjPerMac, tiling, weightLayout, zeroPoints,
        ArrayTiming.STEPS);
  }

  /** An accelerator that folds activation zero points ({@link ZeroPoints#FOLD}). */
  public Accelerator(String name, Kind kind, long peakMacsPerCycle, List<ArrayDim> array,
      Layout layout, String l1, Optional<MemoryLevel> weightMemory, List<OpPattern> patterns,
      long perCallOverheadCycles, boolean doubleBuffering, double energyPjPerMac,
      TilingPolicy tiling, WeightLayout weightLayout) {
    this(name, kind, peakMacsPerCycle, array, layout, l1, weightMemory, patterns,
        perCallOverheadCycles, doubleBuffering, energyPjPerMac, tiling, weightLayout,
        ZeroPoints.FOLD, ArrayTiming.STEPS);
  }

  /** The same accelerator with other operator patterns. */
  public Accelerator withPatterns(List<OpPattern> newPatterns) {
    return new Accelerator(name, kind, peakMacsPerCycle, array, layout, l1, weightMemory,
        newPatterns, perCallOverheadCycles, doubleBuffering, energyPjPerMac, tiling, weightLayout,
        zeroPoints, timing, sparsity, systolic);
  }

  /** The same accelerator with another private weight memory (or none). */
  public Accelerator withWeightMemory(Optional<MemoryLevel> newWeightMemory) {
    return new Accelerator(name, kind, peakMacsPerCycle, array, layout, l1, newWeightMemory,
        patterns, perCallOverheadCycles, doubleBuffering, energyPjPerMac, tiling, weightLayout,
        zeroPoints, timing, sparsity, systolic);
  }

  /** The same accelerator with another handling of activation zero points. */
  public Accelerator withZeroPoints(ZeroPoints z) {
    return new Accelerator(name, kind, peakMacsPerCycle, array, layout, l1, weightMemory,
        patterns, perCallOverheadCycles, doubleBuffering, energyPjPerMac, tiling, weightLayout,
        z, timing, sparsity, systolic);
  }

  /** The same accelerator with another SRAM feed (a systolic unit's word, im2col, tiles). */
  public Accelerator withSystolic(Optional<SystolicFeed> feed) {
    return new Accelerator(name, kind, peakMacsPerCycle, array, layout, l1, weightMemory,
        patterns, perCallOverheadCycles, doubleBuffering, energyPjPerMac, tiling, weightLayout,
        zeroPoints, timing, sparsity, feed);
  }

  /** The same accelerator with other N:M sparse formats ({@link Sparsity#NONE}: none). */
  public Accelerator withSparsity(Sparsity s) {
    return new Accelerator(name, kind, peakMacsPerCycle, array, layout, l1, weightMemory,
        patterns, perCallOverheadCycles, doubleBuffering, energyPjPerMac, tiling, weightLayout,
        zeroPoints, timing, s, systolic);
  }

  /**
   * How the unit handles a nonzero activation zero point (TFLite's int8 activations are
   * asymmetric): its array multiplies raw codes, so {@code Σ (x - zp)·w} must come from
   * somewhere.
   */
  public enum ZeroPoints {
    /**
     * {@code Σ x·w - zp·Σw}: the lowering folds {@code -zp·Σw} (per output channel) into the bias
     * and the unit pads with the zero point, so padded taps contribute {@code zp·w} and cancel.
     */
    FOLD,
    /** The unit has no way to cancel them: dispatch rejects activations with a zero point. */
    REQUIRE_ZERO
  }

  /** Families of accelerators, which decide how cost models and simulators treat the array. */
  public enum Kind {
    /** A grid of digital MAC units (DIANA's digital core). */
    DIGITAL_PE_ARRAY,
    /** Analog in-memory compute: weights stay in the array, one matrix-vector product a call. */
    ANALOG_IMC,
    /** A coarse-grained deep-learning accelerator with its own instruction set (NVDLA-like). */
    NVDLA,
    /** A weight-stationary systolic array fed by im2col (TPU-like). */
    SYSTOLIC,
    /** A cluster of programmable cores with SIMD (PULP-like). */
    CLUSTER
  }

  /** How an accelerator handles depthwise convolution. */
  public enum DepthwiseSupport {
    /** A dedicated mode: one filter per channel, channels spread over the array. */
    NATIVE,
    /** Run as a standard conv with one input and one output channel, once per channel. */
    EMULATED,
    /** Depthwise layers go elsewhere. */
    UNSUPPORTED
  }

  /** One named dimension of the compute array. */
  public record ArrayDim(String name, int size) {}

  public Optional<ArrayDim> arrayDim(String dimName) {
    return array.stream().filter(d -> d.name().equals(dimName)).findFirst();
  }

  /** Number of cells of the array: the most MACs one array step can do. */
  public long arrayCells() {
    long cells = 1;
    for (ArrayDim d : array) {
      cells *= d.size();
    }
    return cells;
  }

  /**
   * Cycles one full step of the array takes: 1 for a digital array that does a MAC per cell per
   * cycle, more for an analog array whose matrix-vector product spans several cycles. The cost
   * model charges this per step of the unrolled loops.
   */
  public double cyclesPerArrayStep() {
    return (double) arrayCells() / peakMacsPerCycle;
  }

  /** The patterns for one operator, in the order dispatch should try them. */
  public List<OpPattern> patterns(OpPattern.Op op) {
    return patterns.stream().filter(p -> p.op() == op).toList();
  }

  /** Derived from the depthwise pattern, so the description cannot contradict itself. */
  public DepthwiseSupport depthwise() {
    return patterns(OpPattern.Op.DEPTHWISE_CONV2D).stream()
        .map(p -> p.depthwise().orElseThrow())
        .findFirst()
        .orElse(DepthwiseSupport.UNSUPPORTED);
  }
}
