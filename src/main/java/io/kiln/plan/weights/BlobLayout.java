package io.kiln.plan.weights;

import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * One layer's weight blob as its unit stores it: the weights region ({@link Arrangement}) at
 * offset 0, then, from the next {@link #REGION_ALIGNMENT}-byte boundary, one parameter record
 * per output channel in K order ({@link ChannelParams}). Weights go to the unit's weight memory
 * and parameters to its L1, so they are two regions that a tile reads as two transfers.
 *
 * <p>{@link #pack} is the data transform a code generator emits; {@link #unpack} inverts it, and
 * everything the pack does not write (block padding, row padding, the gap before the
 * parameters) is zero.
 *
 * @param weights where each weight sits
 * @param params the fields of each channel's record
 */
public record BlobLayout(Arrangement weights, ChannelParams.Format params) {

  /**
   * Alignment of the parameter region inside the blob, as of the blob itself in memory: 16
   * bytes, a whole number of beats of the DMA interconnects the presets describe (64-bit) and
   * of a 128-bit one, so the first beat of a region's transfer is never partial.
   */
  public static final int REGION_ALIGNMENT = 16;

  public LayerShape shape() {
    return weights.shape();
  }

  /** Where the parameter records start. */
  public long paramsOffset() {
    return alignUp(weights.bytes(), REGION_ALIGNMENT);
  }

  /** Bytes of all parameter records. */
  public long paramBytes() {
    return (long) shape().k() * params.bytes();
  }

  /** Bytes of the blob. */
  public long bytes() {
    return paramBytes() == 0 ? weights.bytes() : paramsOffset() + paramBytes();
  }

  /** Bytes the same constants take without padding: packed weights and parameter records. */
  public long denseBytes() {
    return weights.packedBytes() + paramBytes();
  }

  /** Padding bytes: blocks, row ends and the gap before the parameters. */
  public long paddingBytes() {
    return bytes() - denseBytes();
  }

  /** The weights of one tile. */
  public BlobSlice weightSlice(Span k, Span c) {
    return weights.slice(k, c);
  }

  /** The parameter records of output channels {@code k}; empty when records are empty. */
  public Optional<BlobSlice> paramSlice(Span k) {
    if (params.bytes() == 0) {
      return Optional.empty();
    }
    return Optional.of(BlobSlice.contiguous(paramsOffset() + (long) k.start() * params.bytes(),
        (long) k.length() * params.bytes()));
  }

  /** The blob of {@code constants}. */
  public byte[] pack(LayerConstants constants) {
    LayerShape l = shape();
    if (constants.count() != weights.weights()) {
      throw new IllegalArgumentException(constants.count() + " weights for a layout of " + weights.weights());
    }
    if (!constants.params().format().equals(params) || (params.bytes() > 0 && constants.params().channels() != l.k())) {
      throw new IllegalArgumentException("parameters " + constants.params() + " do not match " + params + " for "
          + l.k() + " channels");
    }
    byte[] blob = new byte[Math.toIntExact(bytes())];
    if (weights instanceof NmTiles nm) {
      byte[] region = nm.pack(constants.weights());
      System.arraycopy(region, 0, blob, 0, region.length);
      writeParams(constants, blob);
      return blob;
    }
    int bits = weights.bits();
    int min = -(1 << (bits - 1));
    int max = (1 << (bits - 1)) - 1;
    int[] i = {0};
    forEachWeight(l, (k, c, fy, fx) -> {
      int v = constants.weight(i[0]++);
      if (v < min || v > max) {
        throw new IllegalArgumentException("weight " + v + " does not fit " + bits + "-bit cells");
      }
      long at = weights.bitOffset(k, c, fy, fx);
      int code = v & ((1 << bits) - 1);
      blob[(int) (at >>> 3)] |= (byte) (code << (at & 7));
    });
    writeParams(constants, blob);
    return blob;
  }

  private void writeParams(LayerConstants constants, byte[] blob) {
    if (params.bytes() > 0) {
      ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).position((int) paramsOffset());
      for (int k = 0; k < shape().k(); k++) {
        constants.params().write(k, b);
      }
    }
  }

  /** The constants {@code blob} holds: the inverse of {@link #pack}. */
  public LayerConstants unpack(byte[] blob) {
    if (blob.length != bytes()) {
      throw new IllegalArgumentException("blob of " + blob.length + " B for a layout of " + bytes() + " B");
    }
    int bits = weights.bits();
    int[] out = new int[Math.toIntExact(weights.weights())];
    if (weights instanceof NmTiles nm) {
      out = nm.unpack(java.util.Arrays.copyOf(blob, Math.toIntExact(nm.bytes())));
    } else {
      int[] i = {0};
      int[] o = out;
      forEachWeight(shape(), (k, c, fy, fx) -> {
        long at = weights.bitOffset(k, c, fy, fx);
        int code = ((blob[(int) (at >>> 3)] & 0xff) >>> (at & 7)) & ((1 << bits) - 1);
        // Two's complement of `bits` bits: for 2-bit cells 00 = 0, 01 = +1, 11 = -1.
        o[i[0]++] = code << (32 - bits) >> (32 - bits);
      });
    }
    ChannelParams p = params.bytes() == 0 ? new ChannelParams(params, new int[0], new int[0], new int[0])
        : ChannelParams.read(params, shape().k(),
            ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).position((int) paramsOffset()));
    return new LayerConstants(out, p);
  }

  /** A report's name for the layout. */
  public String describe() {
    return weights.describe();
  }

  /** Visits every weight in model (TFLite) order. */
  interface WeightVisitor {
    void visit(int k, int c, int fy, int fx);
  }

  static void forEachWeight(LayerShape l, WeightVisitor v) {
    if (l.depthwise()) {
      for (int fy = 0; fy < l.fy(); fy++) {
        for (int fx = 0; fx < l.fx(); fx++) {
          for (int k = 0; k < l.k(); k++) {
            v.visit(k, 0, fy, fx);
          }
        }
      }
      return;
    }
    for (int k = 0; k < l.k(); k++) {
      for (int fy = 0; fy < l.fy(); fy++) {
        for (int fx = 0; fx < l.fx(); fx++) {
          for (int c = 0; c < l.c(); c++) {
            v.visit(k, c, fy, fx);
          }
        }
      }
    }
  }

  static long alignUp(long v, long a) {
    return (v + a - 1) / a * a;
  }
}
