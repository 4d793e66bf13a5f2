package io.kiln.plan.schedule;

import io.kiln.plan.weights.BlobSlice;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Re-checks a network's weight placement from the plans and the description, without the
 * placer's bookkeeping: every placed blob is aligned, lies inside its memory and after the
 * activation arena, overlaps no other blob, sits where its unit can read it, has the size of its
 * layer's layout; the per-memory totals add up; and every weight or parameter transfer of an
 * accelerator layer reads, from the blob's memory, bytes inside that layer's blob.
 */
public final class WeightPlacementChecker {
  private WeightPlacementChecker() {}

  /** Every violation found, one sentence each; empty when the placement is sound. */
  public static List<String> check(HardwareDescription hw, NetworkSchedule s) {
    List<String> errors = new ArrayList<>();
    WeightPlacement w = s.placement();
    Map<String, List<WeightPlacement.Blob>> byMemory = new HashMap<>();
    for (WeightPlacement.Blob b : w.blobs()) {
      String name = "blob of layer " + b.layer() + " (%" + b.node().output() + ")";
      if (b.layer() < 0 || b.layer() >= s.layers().size() || !s.layers().get(b.layer()).node().equals(b.node())) {
        errors.add(name + " names no layer of the schedule");
        continue;
      }
      LayerPlan p = s.layers().get(b.layer());
      p.weightBlob().ifPresent(layout -> {
        if (layout.bytes() != b.bytes()) {
          errors.add(name + " has " + b.bytes() + " B but its layout takes " + layout.bytes() + " B");
        }
      });
      if (b.memory().isEmpty()) {
        if (b.note().isEmpty()) {
          errors.add(name + " is unplaced without a reason");
        }
        continue;
      }
      String mem = b.memory().get();
      var level = hw.memory(mem);
      if (level.isEmpty()) {
        errors.add(name + " is in unknown memory '" + mem + "'");
        continue;
      }
      if (b.offset() % w.alignment() != 0) {
        errors.add(name + " starts at " + b.offset() + ", not a multiple of " + w.alignment());
      }
      if (b.end() > level.get().sizeBytes()) {
        errors.add(name + " ends at " + b.end() + " past the " + level.get().sizeBytes() + " B of " + mem);
      }
      if (mem.equals(w.arenaMemory()) && b.offset() < w.arenaBytes()) {
        errors.add(name + " starts at " + b.offset() + " inside the " + w.arenaBytes() + " B arena of " + mem);
      }
      checkReadable(hw, p, b, level.get(), name, errors);
      byMemory.computeIfAbsent(mem, k -> new ArrayList<>()).add(b);
    }
    for (Map.Entry<String, List<WeightPlacement.Blob>> e : byMemory.entrySet()) {
      List<WeightPlacement.Blob> sorted = new ArrayList<>(e.getValue());
      sorted.sort(Comparator.comparingLong(WeightPlacement.Blob::offset));
      for (int i = 1; i < sorted.size(); i++) {
        if (sorted.get(i).offset() < sorted.get(i - 1).end()) {
          errors.add("blobs of layers " + sorted.get(i - 1).layer() + " and " + sorted.get(i).layer() + " overlap in "
              + e.getKey());
        }
      }
    }
    for (WeightPlacement.MemoryUse u : w.memories()) {
      List<WeightPlacement.Blob> in = byMemory.getOrDefault(u.memory(), List.of());
      long sum = in.stream().mapToLong(WeightPlacement.Blob::bytes).sum();
      long end = Math.max(u.memory().equals(w.arenaMemory()) ? w.arenaBytes() : 0,
          in.stream().mapToLong(WeightPlacement.Blob::end).max().orElse(0));
      if (u.weightBytes() != sum || u.usedBytes() != end) {
        errors.add(u.memory() + " reports " + u.weightBytes() + " B of blobs up to " + u.usedBytes()
            + " B, but its blobs take " + sum + " B up to " + end + " B");
      }
    }
    for (String mem : byMemory.keySet()) {
      if (w.memories().stream().noneMatch(u -> u.memory().equals(mem))) {
        errors.add(mem + " holds blobs but has no total");
      }
    }
    for (int i = 0; i < s.layers().size(); i++) {
      LayerPlan p = s.layers().get(i);
      if (p.weightBlob().isPresent() && !WeightPlacer.activationWeights(p) && w.blob(p.node()).isEmpty()) {
        errors.add("layer " + i + " has a weight blob but no placement");
      }
    }
    return errors;
  }

  /**
   * The CPU reads a blob in place; an accelerator's weight and parameter transfers read it from
   * its memory through a DMA engine, inside its bytes.
   */
  private static void checkReadable(HardwareDescription hw, LayerPlan p, WeightPlacement.Blob b, MemoryLevel mem,
      String name, List<String> errors) {
    if (p.unit() instanceof Unit.CpuUnit) {
      if (!mem.readableBy(p.unit().name())) {
        errors.add(name + " is in " + mem.name() + ", which the CPU cannot read");
      }
      return;
    }
    for (Transfer t : p.transfers()) {
      if (t.kind() != Transfer.Kind.WEIGHTS && t.kind() != Transfer.Kind.PARAMS) {
        continue;
      }
      if (!t.from().equals(mem.name())) {
        errors.add(name + " is in " + mem.name() + " but step " + t.step() + " reads it from " + t.from());
      }
      if (hw.dma(t.from(), t.to()).isEmpty()) {
        errors.add(name + ": no DMA engine moves " + t.from() + " to " + t.to());
      }
      if (t.source().isEmpty()) {
        errors.add(name + ": step " + t.step() + " names no slice of it");
        continue;
      }
      BlobSlice slice = t.source().get();
      if (slice.end() > b.bytes()) {
        errors.add(name + ": step " + t.step() + " reads up to byte " + slice.end() + " of a " + b.bytes() + " B blob");
      }
    }
  }
}
