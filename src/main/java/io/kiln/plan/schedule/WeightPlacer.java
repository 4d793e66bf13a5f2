package io.kiln.plan.schedule;

import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import io.kiln.plan.weights.BlobLayout;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Places the constants of a planned network, first fit in layer order, accelerator blobs before
 * the CPU's tensors (they can only be read by DMA, the CPU can read flash in place):
 *
 * <ul>
 *   <li>an accelerator layer's blob goes to the memory its plan streams weights from (L2, after
 *       the activation arena and earlier blobs) if it has room; else to a read-only memory
 *       (flash) that DMA engines read into the unit's weight memory and L1, and the layer is
 *       rescheduled to read it there; else it is left unplaced, with the reason;
 *   <li>a CPU layer's constant tensors (in the model's order, as the generated C declares them)
 *       go to read-only memory the CPU reads if there is one with room (where the C compiler
 *       puts {@code const} data, keeping RAM for the arena), else to L2.
 * </ul>
 */
final class WeightPlacer {
  private final HardwareDescription hw;
  private final Graph g;
  private final String arena;
  private final long arenaBytes;
  private final Map<String, Long> next = new LinkedHashMap<>();
  private final Map<String, Long> used = new LinkedHashMap<>();

  private WeightPlacer(HardwareDescription hw, Graph g, long arenaBytes) {
    this.hw = hw;
    this.g = g;
    this.arena = arenaMemory(hw);
    this.arenaBytes = arenaBytes;
    next.put(arena, arenaBytes);
  }

  /** The placement, and the plans with any layer rescheduled to read its blob elsewhere. */
  record Result(List<LayerPlan> plans, WeightPlacement placement) {}

  static Result place(HardwareDescription hw, Graph g, List<LayerPlan> plans, long arenaBytes) {
    return new WeightPlacer(hw, g, arenaBytes).run(plans);
  }

  /** The memory of the activation arena: the first writable shared memory the CPU reads. */
  static String arenaMemory(HardwareDescription hw) {
    return hw.memories().stream().filter(m -> m.writable() && m.readableBy(hw.cpu().name()))
        .map(MemoryLevel::name).findFirst()
        .orElseGet(() -> hw.memories().stream().filter(MemoryLevel::writable)
            .max(java.util.Comparator.comparingLong(MemoryLevel::sizeBytes)).orElseThrow().name());
  }

  private Result run(List<LayerPlan> in) {
    List<LayerPlan> plans = new ArrayList<>(in);
    WeightPlacement.Blob[] blobs = new WeightPlacement.Blob[plans.size()];
    for (int i = 0; i < plans.size(); i++) {
      LayerPlan p = plans.get(i);
      if (p.weightBlob().isPresent() && !activationWeights(p)) {
        blobs[i] = placeAcceleratorBlob(i, p, plans);
      }
    }
    Set<Integer> placedTensors = new HashSet<>();
    for (int i = 0; i < plans.size(); i++) {
      LayerPlan p = plans.get(i);
      if (p.weightBlob().isEmpty() || activationWeights(p)) {
        blobs[i] = placeTensors(i, p, placedTensors);
      }
    }
    List<WeightPlacement.Blob> list = new ArrayList<>();
    for (WeightPlacement.Blob b : blobs) {
      if (b != null) {
        list.add(b);
      }
    }
    List<WeightPlacement.MemoryUse> uses = new ArrayList<>();
    for (Map.Entry<String, Long> e : next.entrySet()) {
      String m = e.getKey();
      long padding = list.stream().filter(b -> b.memory().equals(Optional.of(m)))
          .mapToLong(WeightPlacement.Blob::paddingBytes).sum();
      uses.add(new WeightPlacement.MemoryUse(m, capacity(m), m.equals(arena) ? arenaBytes : 0,
          used.getOrDefault(m, 0L), padding, e.getValue()));
    }
    return new Result(plans, new WeightPlacement(arena, arenaBytes, WeightPlacement.ALIGNMENT, list, uses));
  }

  private WeightPlacement.Blob placeAcceleratorBlob(int i, LayerPlan p, List<LayerPlan> plans) {
    BlobLayout layout = p.weightBlob().orElseThrow();
    long bytes = layout.bytes();
    String source = p.transfers().stream().filter(t -> t.kind() == Transfer.Kind.WEIGHTS).map(Transfer::from)
        .findFirst().orElse(arena);
    if (fits(source, bytes)) {
      return blob(i, p, layout.describe(), bytes, layout.paddingBytes(), source, Optional.empty());
    }
    List<String> tried = new ArrayList<>();
    tried.add(room(source, bytes));
    for (MemoryLevel m : hw.memories()) {
      if (m.writable() || m.name().equals(source)) {
        continue;
      }
      if (!fits(m.name(), bytes)) {
        tried.add(room(m.name(), bytes));
        continue;
      }
      Optional<LayerPlan> moved = LayerPlanner.readingConstantsFrom(hw, g, p, m.name());
      if (moved.isEmpty()) {
        tried.add("no DMA engine reads " + m.name() + " into " + p.unit().name() + "'s memories");
        continue;
      }
      plans.set(i, moved.get());
      return blob(i, moved.get(), layout.describe(), bytes, layout.paddingBytes(), m.name(),
          Optional.of(tried.get(0) + ": read from " + m.name()));
    }
    if (tried.size() == 1) {
      tried.add("the description has no read-only memory to fall back to");
    }
    return new WeightPlacement.Blob(i, p.node(), p.unit().name(), layout.describe(), bytes, layout.paddingBytes(),
        Optional.empty(), 0, Optional.of("fits nowhere: " + String.join("; ", tried)));
  }

  /** Whether the plan's weights are an activation (a matmul's right operand): the arena holds them, no blob. */
  static boolean activationWeights(LayerPlan p) {
    return p.weightBlob().map(b -> b.weights() instanceof io.kiln.plan.weights.Arrangement.Operand).orElse(false);
  }

  /** The constant tensors of a layer without a blob, back to back at their natural alignment. */
  private WeightPlacement.Blob placeTensors(int i, LayerPlan p, Set<Integer> placed) {
    long bytes = 0;
    for (int id : p.node().inputs()) {
      if (id == Node.ABSENT || !placed.add(id)) {
        continue;
      }
      Value v = g.value(id);
      if (v.isConstant()) {
        bytes = alignUp(bytes, elementAlignment(v.dtype())) + v.type().bytes();
      }
    }
    if (bytes == 0) {
      return null;
    }
    List<String> order = new ArrayList<>();
    boolean cpu = p.unit() instanceof Unit.CpuUnit;
    if (cpu) {
      hw.memories().stream().filter(m -> !m.writable() && m.readableBy(hw.cpu().name()))
          .forEach(m -> order.add(m.name()));
    }
    order.add(arena);
    List<String> tried = new ArrayList<>();
    for (String m : order) {
      if (fits(m, bytes)) {
        Optional<String> note = m.equals(order.get(0)) ? Optional.empty()
            : Optional.of(String.join("; ", tried) + ": in " + m);
        return blob(i, p, "tflite", bytes, 0, m, note);
      }
      tried.add(room(m, bytes));
    }
    return new WeightPlacement.Blob(i, p.node(), p.unit().name(), "tflite", bytes, 0, Optional.empty(), 0,
        Optional.of("fits nowhere: " + String.join("; ", tried)));
  }

  private WeightPlacement.Blob blob(int i, LayerPlan p, String layout, long bytes, long padding, String memory,
      Optional<String> note) {
    long offset = alignUp(next.getOrDefault(memory, 0L), WeightPlacement.ALIGNMENT);
    next.put(memory, offset + bytes);
    used.merge(memory, bytes, Long::sum);
    return new WeightPlacement.Blob(i, p.node(), p.unit().name(), layout, bytes, padding, Optional.of(memory),
        offset, note);
  }

  private boolean fits(String memory, long bytes) {
    return alignUp(next.getOrDefault(memory, 0L), WeightPlacement.ALIGNMENT) + bytes <= capacity(memory);
  }

  private String room(String memory, long bytes) {
    long free = Math.max(0, capacity(memory) - alignUp(next.getOrDefault(memory, 0L), WeightPlacement.ALIGNMENT));
    String before = memory.equals(arena) ? String.format(Locale.ROOT, " after the %,d B arena", arenaBytes) : "";
    long blobs = used.getOrDefault(memory, 0L);
    if (blobs > 0) {
      before += String.format(Locale.ROOT, "%s %,d B of earlier blobs", before.isEmpty() ? " after" : " and", blobs);
    }
    return String.format(Locale.ROOT, "%s has %,d B free%s, the blob needs %,d B", memory, free, before, bytes);
  }

  private long capacity(String memory) {
    return hw.memory(memory).map(MemoryLevel::sizeBytes).orElse(0L);
  }

  private static int elementAlignment(DType t) {
    return Math.max(1, t.bytes());
  }

  static long alignUp(long v, long a) {
    return (v + a - 1) / a * a;
  }
}
