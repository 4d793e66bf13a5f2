package io.kiln.plan.schedule;

import io.kiln.ir.Node;
import io.kiln.plan.weights.BlobLayout;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where every layer's constants live: each accelerator layer's laid-out weight blob and each
 * other layer's constant tensors get a memory and an offset there, next to the activation arena
 * that the memory planner sized. {@link WeightPlacer} computes it; {@link WeightPlacementChecker}
 * re-checks it.
 *
 * @param arenaMemory the memory that holds the activation arena at offset 0 (L2)
 * @param arenaBytes the arena's size
 * @param alignment every blob starts at a multiple of it
 * @param blobs one entry per layer with constants, in layer order
 * @param memories the use of every memory that holds the arena or a blob
 */
public record WeightPlacement(String arenaMemory, long arenaBytes, int alignment, List<Blob> blobs,
    List<MemoryUse> memories) {

  /**
   * Blobs start on 16-byte boundaries, like the regions inside them: a whole number of beats of
   * the presets' 64-bit DMA interconnects (and of a 128-bit one), so no transfer starts with a
   * partial beat, and the alignment of the generated code's static arena.
   */
  public static final int ALIGNMENT = BlobLayout.REGION_ALIGNMENT;

  public WeightPlacement {
    blobs = List.copyOf(blobs);
    memories = List.copyOf(memories);
  }

  /**
   * One layer's constants.
   *
   * @param layer the layer's position in the schedule
   * @param node the layer
   * @param unit where it runs
   * @param layout how the bytes are arranged ({@code tflite} for the CPU's tensors)
   * @param bytes the blob's size, padding included
   * @param paddingBytes bytes of the blob that hold no weight or parameter
   * @param memory where it lives; empty when it fits nowhere
   * @param offset its first byte in {@code memory}
   * @param note why it is not in L2, or why it fits nowhere; empty otherwise
   */
  public record Blob(int layer, Node node, String unit, String layout, long bytes, long paddingBytes,
      Optional<String> memory, long offset, Optional<String> note) {

    /** One past its last byte. */
    public long end() {
      return offset + bytes;
    }
  }

  /**
   * How much of one memory the arena and the blobs use.
   *
   * @param capacityBytes the memory's size
   * @param arenaBytes the activation arena in it (0 outside L2)
   * @param weightBytes bytes of the blobs in it
   * @param paddingBytes of those, the bytes that the layouts pad (blocks, row ends)
   * @param usedBytes one past the last byte used (arena, blobs and alignment gaps)
   */
  public record MemoryUse(String memory, long capacityBytes, long arenaBytes, long weightBytes, long paddingBytes,
      long usedBytes) {}

  /** The blob of {@code node}, if it has constants. */
  public Optional<Blob> blob(Node node) {
    return blobs.stream().filter(b -> b.node().equals(node)).findFirst();
  }

  /** Blob bytes per memory that holds any. */
  public Map<String, Long> bytesByMemory() {
    Map<String, Long> m = new TreeMap<>();
    for (Blob b : blobs) {
      b.memory().ifPresent(mem -> m.merge(mem, b.bytes(), Long::sum));
    }
    return m;
  }

  /** Blobs that fit in no memory. */
  public List<Blob> unplaced() {
    return blobs.stream().filter(b -> b.memory().isEmpty()).toList();
  }
}
