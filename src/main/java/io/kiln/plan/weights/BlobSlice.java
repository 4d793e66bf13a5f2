package io.kiln.plan.weights;

/**
 * What one DMA transfer reads from a layer's weight blob: {@code runs} runs of {@code runBytes}
 * bytes, {@code strideBytes} apart, the first at {@code offset} from the start of the blob. One
 * run is a contiguous copy; several are the two-dimensional (strided) transfer a DMA engine
 * describes in one command per run or in one command when it has two strided dimensions.
 *
 * @param offset first byte read, from the start of the blob
 * @param runBytes bytes of each run
 * @param strideBytes distance between the starts of consecutive runs ({@code runBytes} when
 *     there is one run)
 * @param runs number of runs
 */
public record BlobSlice(long offset, long runBytes, long strideBytes, long runs) {

  public BlobSlice {
    if (offset < 0 || runBytes < 1 || runs < 1 || strideBytes < runBytes) {
      throw new IllegalArgumentException("not a slice: offset " + offset + ", " + runs + " runs of "
          + runBytes + " B every " + strideBytes + " B");
    }
  }

  /** One contiguous run. */
  public static BlobSlice contiguous(long offset, long bytes) {
    return new BlobSlice(offset, bytes, bytes, 1);
  }

  /** Runs that touch end to end become one run. */
  static BlobSlice of(long offset, long runBytes, long strideBytes, long runs) {
    return runs == 1 || strideBytes == runBytes ? contiguous(offset, runBytes * runs)
        : new BlobSlice(offset, runBytes, strideBytes, runs);
  }

  /** Bytes the transfer moves. */
  public long bytes() {
    return runBytes * runs;
  }

  /** One past the last byte read. */
  public long end() {
    return offset + (runs - 1) * strideBytes + runBytes;
  }

  /** Whether byte {@code b} of the blob is read. */
  public boolean covers(long b) {
    if (b < offset || b >= end()) {
      return false;
    }
    return (b - offset) % strideBytes < runBytes;
  }
}
