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
    int operandBits) {

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
  }

  /** Sizes without a second operand. */
  public ElementSizes(int inputBits, int outputBits, int weightBits, int sparseN, int sparseM, int indexBits,
      int accumulatorBits, int paramBytesPerChannel) {
    this(inputBits, outputBits, weightBits, sparseN, sparseM, indexBits, accumulatorBits, paramBytesPerChannel, 0);
  }

  /** int8 activations and weights, int32 bias plus a 32-bit multiplier and 8-bit shift per channel. */
  public static ElementSizes int8() {
    return new ElementSizes(8, 8, 8, 1, 1, 0, 32, 9);
  }

  /** The same with weights of {@code bits} (2 for ternary cells). */
  public ElementSizes withWeightBits(int bits) {
    return new ElementSizes(inputBits, outputBits, bits, sparseN, sparseM, indexBits, accumulatorBits, paramBytesPerChannel,
        operandBits);
  }

  /** The same with N:M sparse weights carrying {@code idxBits} per stored weight. */
  public ElementSizes withSparsity(int n, int m, int idxBits) {
    return new ElementSizes(inputBits, outputBits, weightBits, n, m, idxBits, accumulatorBits, paramBytesPerChannel,
        operandBits);
  }

  /** The same with a second operand of {@code bits} per output element (0 for none). */
  public ElementSizes withOperandBits(int bits) {
    return new ElementSizes(inputBits, outputBits, weightBits, sparseN, sparseM, indexBits, accumulatorBits,
        paramBytesPerChannel, bits);
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
