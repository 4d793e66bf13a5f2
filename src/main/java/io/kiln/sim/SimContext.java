package io.kiln.sim;

import io.kiln.ir.Graph;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.Map;

/**
 * What a {@link CallModel} works with while it simulates one step: the description, the lowered
 * graph, the simulated memories, the timeline of every resource and the step's accumulators.
 */
public final class SimContext {
  private final HardwareDescription hw;
  private final Graph graph;
  private final SimMemories memories;
  private final String[] memoryNames;
  private final Map<String, Integer> memoryIndex;
  private final Timeline timeline;
  private final StepStats stats;
  private final int step;
  private final boolean functional;

  SimContext(HardwareDescription hw, Graph graph, SimMemories memories, String[] memoryNames,
      Map<String, Integer> memoryIndex, Timeline timeline, StepStats stats, int step, boolean functional) {
    this.functional = functional;
    this.hw = hw;
    this.graph = graph;
    this.memories = memories;
    this.memoryNames = memoryNames;
    this.memoryIndex = memoryIndex;
    this.timeline = timeline;
    this.stats = stats;
    this.step = step;
  }

  public HardwareDescription hardware() {
    return hw;
  }

  public Graph graph() {
    return graph;
  }

  public SimMemories memories() {
    return memories;
  }

  public Timeline timeline() {
    return timeline;
  }

  public StepStats stats() {
    return stats;
  }

  /** Whether bytes move and tiles are computed; false when only the timing is simulated. */
  public boolean functional() {
    return functional;
  }

  /** The index of the step in the plan, for events. */
  public int step() {
    return step;
  }

  /** Memories numbered as {@link #memoryIndex} numbers them (the order of {@code allMemories}). */
  public String[] memoryNames() {
    return memoryNames.clone();
  }

  public int memoryIndex(String memory) {
    Integer i = memoryIndex.get(memory);
    if (i == null) {
      throw new SimulationException("no memory named " + memory);
    }
    return i;
  }

  /** Energy of one byte read or written in {@code memory}. */
  public double energyPerByte(String memory) {
    return energyPerByte(hw, memory);
  }

  static double energyPerByte(HardwareDescription hw, String memory) {
    return hw.memory(memory).map(MemoryLevel::energyPjPerByte).orElse(0.0);
  }
}
