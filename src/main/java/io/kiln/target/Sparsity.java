package io.kiln.target;

import io.kiln.ir.Encoding;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The N:M sparse weight formats an accelerator executes ({@code sparsity:} in a description),
 * and how it stores and times them. A unit that declares none ({@link #NONE}) takes dense weights
 * only; dispatch then leaves N:M layers to the CPU's sparse kernels.
 *
 * <p>Storage: each K×C weight tile holds its non-zero values ({@code valueBits} each, the int8
 * weights) and then their offsets inside their groups ({@code offsetBits} each, packed), so one DMA
 * transfer brings both. Timing: a unit that {@code skipsZeros} runs N reduction steps per group of
 * M instead of M (its array selects each column's activation by the offset), so a tile's reduction
 * of {@code R} weights takes {@code ceil(R / M)·N} steps; one that does not still runs all M.
 *
 * @param formats the formats it takes, each {@code N:M}
 * @param offsetBits bits of one stored offset; at least {@code log2(M)} of every format
 * @param skipsZeros whether the reduction skips the pruned weights (see above)
 */
public record Sparsity(List<Encoding.NM> formats, int offsetBits, boolean skipsZeros) {

  /** No N:M support: the default. */
  public static final Sparsity NONE = new Sparsity(List.of(), 0, false);

  /** Bits of one stored value: the array's int8 weights. */
  public static final int VALUE_BITS = 8;

  public Sparsity {
    formats = List.copyOf(formats);
    if (formats.isEmpty() != (offsetBits == 0)) {
      throw new IllegalArgumentException("offset bits exactly when formats are declared");
    }
    for (Encoding.NM f : formats) {
      if (offsetBits < minOffsetBits(f) || offsetBits > 8) {
        throw new IllegalArgumentException(offsetBits + "-bit offsets for " + f);
      }
    }
  }

  /** Bits an offset inside a group of {@code f} needs: {@code log2(M)}. */
  public static int minOffsetBits(Encoding.NM f) {
    return 31 - Integer.numberOfLeadingZeros(f.m());
  }

  public boolean declared() {
    return !formats.isEmpty();
  }

  /**
   * The format this unit stores weights of encoding {@code nm} in: the sparsest declared format
   * that every {@code nm} tensor also follows. A group of {@code f} lies inside one group of
   * {@code nm} when {@code f.m} divides {@code nm.m} (all M are powers of two), so it holds at most
   * {@code nm.n} non-zeros, which {@code f} allows when {@code f.n >= nm.n}.
   */
  public Optional<Encoding.NM> formatFor(Encoding.NM nm) {
    return formats.stream()
        .filter(f -> nm.m() % f.m() == 0 && f.n() >= nm.n())
        .max(Comparator.comparingDouble(f -> (double) f.m() / f.n()));
  }

  /** The declared formats as a description writes them: {@code 1:4, 1:8}. */
  public String describe() {
    return String.join(", ", formats.stream().map(Encoding.NM::toString).toList());
  }
}
