package io.kiln.plan.tiling;

/**
 * Bits per element of each buffer a tile moves, and how weights are stored.
 *
 * <p>Weights may be sub-byte (ternary cells take 2 bits) and N:M sparse: out of every {@code m}
 * consecutive weights along the reduction (C·FY·FX) of an output channel, {@code n} are stored,
 * each with an index of {@code indexBits}. Dense weights have {@code n == m == 1} and no index.
 * Partial sums are kept at {@code accumulatorBits} when the reduction over C is split across tiles,
 * because requantization can only happen after the last input-channel tile.
 *
 * <p>A layer without weights (pooling, an element-wise operator, a standalone activation) has
 * {@code weightBits == 0}, so no weight buffer is reserved. {@code operandBits} is the width of a
 * second input that streams in step with the output tile, one element per output element: the
 * right operand of an element-wise Add or Mul, or the skip tensor of a residual Add fused into a
 * convolution's output stage; 0 when there is none.
 *
 * <p>A unit's weight layout may store channels in blocks ({@code kBlock} output channels,
 * {@code cBlock} input channels per kernel tap), zero-padding a partial block: a tile of weights
 * then takes the bytes of whole blocks. {@link #weightBytes} is the one formula for a tile's
 * weight bytes: the tiler and the schedule's DMA transfers use it, and the laid-out weight blobs
 * ({@code io.kiln.plan.weights}) are tested to take exactly these bytes per tile.
 */
public record ElementSizes(
    int inputBits,
    int outputBits,
    int weightBits,
    int sparseN,
    int sparseM,
    int indexBits,
    int accumulatorBits,
    int paramBytesPerChannel,
    int operandBits,
    int kBlock,
    int cBlock) {

  public ElementSizes {
    if (inputBits < 1 || outputBits < 1 || accumulatorBits < 1) {
      throw new IllegalArgumentException("element sizes must be at least 1 bit");
    }
    if (weightBits < 0 || operandBits < 0) {
      throw new IllegalArgumentException("weight and operand bits must not be negative");
    }
    if (weightBits == 0 && (sparseN != 1 || sparseM != 1)) {
      throw new IllegalArgumentException("a layer without weights has no sparsity");
    }
    if (sparseN < 1 || sparseM < sparseN) {
      throw new IllegalArgumentException("N:M sparsity needs 1 <= N <= M, got " + sparseN + ":" + sparseM);
    }
    if (indexBits < 0 || paramBytesPerChannel < 0) {
      throw new IllegalArgumentException("index bits and parameter bytes must not be negative");
    }
    if (sparseN == sparseM && indexBits != 0) {
      throw new IllegalArgumentException("dense weights carry no index bits");
    }
    if (kBlock < 1 || cBlock < 1) {
      throw new IllegalArgumentException("channel blocks must be at least 1, got " + kBlock + " and " + cBlock);
    }
    if ((kBlock > 1 || cBlock > 1) && sparseN != sparseM) {
      throw new IllegalArgumentException("blocked weight layouts store dense weights only");
    }
  }

  /** Sizes without a second operand, weights stored channel after channel (no blocks to pad). */
  public ElementSizes(int inputBits, int outputBits, int weightBits, int sparseN, int sparseM, int indexBits,
      int accumulatorBits, int paramBytesPerChannel) {
    this(inputBits, outputBits, weightBits, sparseN, sparseM, indexBits, accumulatorBits, paramBytesPerChannel, 0);
  }

  /** Sizes with a second operand of {@code operandBits}, weights stored without blocks. */
  public ElementSizes(int inputBits, int outputBits, int weightBits, int sparseN, int sparseM, int indexBits,
      int accumulatorBits, int paramBytesPerChannel, int operandBits) {
    this(inputBits, outputBits, weightBits, sparseN, sparseM, indexBits, accumulatorBits, paramBytesPerChannel,
        operandBits, 1, 1);
  }

  /** int8 activations and weights, int32 bias plus a 32-bit multiplier and 8-bit shift per channel. */
  public static ElementSizes int8() {
    return new ElementSizes(8, 8, 8, 1, 1, 0, 32, 9);
  }

  /** The same with weights of {@code bits} (2 for ternary cells). */
  public ElementSizes withWeightBits(int bits) {
    return new ElementSizes(inputBits, outputBits, bits, sparseN, sparseM, indexBits, accumulatorBits,
        paramBytesPerChannel, operandBits, kBlock, cBlock);
  }

  /** The same with N:M sparse weights carrying {@code idxBits} per stored weight. */
  public ElementSizes withSparsity(int n, int m, int idxBits) {
    return new ElementSizes(inputBits, outputBits, weightBits, n, m, idxBits, accumulatorBits, paramBytesPerChannel,
        operandBits, kBlock, cBlock);
  }

  /** The same with a second operand of {@code bits} per output element (0 for none). */
  public ElementSizes withOperandBits(int bits) {
    return new ElementSizes(inputBits, outputBits, weightBits, sparseN, sparseM, indexBits, accumulatorBits,
        paramBytesPerChannel, bits, kBlock, cBlock);
  }

  /** The same with weights stored in blocks of {@code k} output and {@code c} input channels. */
  public ElementSizes withBlocks(int k, int c) {
    return new ElementSizes(inputBits, outputBits, weightBits, sparseN, sparseM, indexBits, accumulatorBits,
        paramBytesPerChannel, operandBits, k, c);
  }

  /**
   * Bytes of the weights of {@code k} output channels × {@code c} input channels × {@code taps}
   * kernel taps (a depthwise layer has {@code c == 1}): both channel counts rounded up to whole
   * blocks, the bits rounded up to whole bytes.
   */
  public long weightBytes(long k, long c, long taps) {
    return ceilDiv(storedChannels(k, kBlock) * weightBitsPerChannel(storedChannels(c, cBlock) * taps), 8);
  }

  /** {@code n} channels rounded up to whole blocks of {@code block}: the channels a layout stores. */
  static long storedChannels(long n, int block) {
    return ceilDiv(n, block) * block;
  }

  /** Bits to store one output channel's weights over a reduction of {@code reduction} elements. */
  public long weightBitsPerChannel(long reduction) {
    // Groups of M are padded up: a partial group still stores N values (with their indices).
    long stored = sparseN == sparseM ? reduction : ceilDiv(reduction, sparseM) * sparseN;
    return stored * (weightBits + indexBits);
  }

  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
