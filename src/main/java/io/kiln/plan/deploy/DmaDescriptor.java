package io.kiln.plan.deploy;

import io.kiln.plan.schedule.Transfer;

/**
 * One DMA transfer with addresses, as the HAL's 1-D/2-D/3-D copy takes it: {@code planes} planes
 * of {@code rows} rows of {@code run} contiguous bytes. Row {@code r} of plane {@code p} starts at
 * {@code srcAddr + p·srcPlaneStride + r·srcRowStride} and lands at the same position of the
 * destination computed with its strides. Addresses are offsets into the named memories.
 *
 * @param id position among its layer's descriptors, which the program's waits name
 * @param kind which buffer it fills or drains
 * @param tile the tile it belongs to (loads: consumed by; write-backs: produced by)
 * @param engine the DMA engine of the description that moves it
 */
public record DmaDescriptor(int id, Transfer.Kind kind, int tile, String engine, String src, long srcAddr,
    String dst, long dstAddr, long run, long rows, long planes, long srcRowStride, long srcPlaneStride,
    long dstRowStride, long dstPlaneStride) {

  public DmaDescriptor {
    if (run < 1 || rows < 1 || planes < 1 || srcAddr < 0 || dstAddr < 0) {
      throw new IllegalArgumentException("DMA of " + planes + "x" + rows + "x" + run + " B from " + src + "+"
          + srcAddr + " to " + dst + "+" + dstAddr);
    }
  }

  /** A contiguous copy. */
  public static DmaDescriptor linear(int id, Transfer.Kind kind, int tile, String engine, String src, long srcAddr,
      String dst, long dstAddr, long bytes) {
    return new DmaDescriptor(id, kind, tile, engine, src, srcAddr, dst, dstAddr, bytes, 1, 1, bytes, bytes, bytes,
        bytes);
  }

  /** Bytes moved. */
  public long bytes() {
    return run * rows * planes;
  }

  /** 1, 2 or 3: how many dimensions the copy needs. */
  public int dims() {
    return planes > 1 ? 3 : rows > 1 ? 2 : 1;
  }

  /** The source region the copy touches, from its first to one past its last byte. */
  public Region srcExtent() {
    return new Region(src, srcAddr, (planes - 1) * srcPlaneStride + (rows - 1) * srcRowStride + run);
  }

  /** The destination region the copy touches. */
  public Region dstExtent() {
    return new Region(dst, dstAddr, (planes - 1) * dstPlaneStride + (rows - 1) * dstRowStride + run);
  }

  /** The source bytes exactly. */
  public Strided srcBytes() {
    return new Strided(src, srcAddr, run, rows, srcRowStride, planes, srcPlaneStride);
  }

  /** The destination bytes exactly. */
  public Strided dstBytes() {
    return new Strided(dst, dstAddr, run, rows, dstRowStride, planes, dstPlaneStride);
  }

  /** Calls {@code f} with (source address, destination address) of every contiguous run. */
  public void forEachRun(RunVisitor f) {
    for (long p = 0; p < planes; p++) {
      for (long r = 0; r < rows; r++) {
        f.visit(srcAddr + p * srcPlaneStride + r * srcRowStride, dstAddr + p * dstPlaneStride + r * dstRowStride);
      }
    }
  }

  /** A visitor of runs. */
  public interface RunVisitor {
    void visit(long srcAddr, long dstAddr);
  }
}
