package io.kiln.target;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A system-on-chip as Kiln sees it: the one description that dispatch, tiling, scheduling, cost
 * models and simulators all read. Built only by {@link HardwareLoader} (which validates it) or by
 * code that derives one validated description from another, so every cross-reference in it (a
 * memory's readers, a DMA's endpoints, an accelerator's L1) names something that exists.
 *
 * @param name the preset name or the name the file gives itself
 * @param description one line for {@code kiln targets} and reports
 * @param clockHz the clock that every cycle count in this description refers to (accelerators,
 *     memories and DMAs); the CPU states its own clock
 * @param memories shared memory levels, from the smallest and closest (L1) outwards
 * @param dmas the DMA engines that move data between memories
 * @param cpu the host core, which runs every layer no accelerator takes
 * @param accelerators the accelerators, in the order dispatch tries them by default
 */
public record HardwareDescription(String name, String description, long clockHz,
    List<MemoryLevel> memories, List<DmaEngine> dmas, Cpu cpu, List<Accelerator> accelerators) {

  public HardwareDescription {
    memories = List.copyOf(memories);
    dmas = List.copyOf(dmas);
    accelerators = List.copyOf(accelerators);
  }

  /** Shared memories followed by every accelerator's private ones: all DMA endpoints. */
  public List<MemoryLevel> allMemories() {
    List<MemoryLevel> all = new ArrayList<>(memories);
    for (Accelerator a : accelerators) {
      a.weightMemory().ifPresent(all::add);
    }
    return List.copyOf(all);
  }

  /** A shared or private memory by name ({@code l1}, {@code digital.weights}). */
  public Optional<MemoryLevel> memory(String memoryName) {
    return allMemories().stream().filter(m -> m.name().equals(memoryName)).findFirst();
  }

  public Optional<Accelerator> accelerator(String acceleratorName) {
    return accelerators.stream().filter(a -> a.name().equals(acceleratorName)).findFirst();
  }

  /** Names of everything that computes: the CPU first, then the accelerators. */
  public List<String> unitNames() {
    List<String> names = new ArrayList<>();
    names.add(cpu.name());
    accelerators.forEach(a -> names.add(a.name()));
    return List.copyOf(names);
  }

  /** The first DMA engine that can move data from one memory to another, if any. */
  public Optional<DmaEngine> dma(String from, String to) {
    return dmas.stream().filter(d -> d.connects(from, to)).findFirst();
  }
}
