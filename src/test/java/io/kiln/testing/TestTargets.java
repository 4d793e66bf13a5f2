package io.kiln.testing;

import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Hardware descriptions changed for tests and sweeps: memories resized to a budget. */
public final class TestTargets {
  private TestTargets() {}

  /** {@code hw} with the memory named {@code memory} resized to {@code bytes}, all else kept. */
  public static HardwareDescription withMemory(HardwareDescription hw, String memory, long bytes) {
    List<MemoryLevel> mems = new ArrayList<>();
    for (MemoryLevel m : hw.memories()) {
      mems.add(m.name().equals(memory) ? new MemoryLevel(m.name(), bytes, m.bandwidthBytesPerCycle(),
          m.latencyCycles(), m.energyPjPerByte(), m.writable(), m.readers()) : m);
    }
    return new HardwareDescription(hw.name(), hw.description(), hw.clockHz(), mems, hw.dmas(), hw.cpu(),
        hw.accelerators());
  }

  /** {@code hw} whose accelerators' L1 and weight memories are shrunk to the given sizes. */
  public static HardwareDescription withBudgets(HardwareDescription hw, long l1, long weights) {
    List<MemoryLevel> mems = withMemory(hw, hw.accelerators().get(0).l1(), l1).memories();
    List<Accelerator> accs = new ArrayList<>();
    for (Accelerator a : hw.accelerators()) {
      Optional<MemoryLevel> wm = a.weightMemory().map(m -> new MemoryLevel(m.name(), weights,
          m.bandwidthBytesPerCycle(), m.latencyCycles(), m.energyPjPerByte(), m.writable(), m.readers()));
      accs.add(a.withWeightMemory(wm));
    }
    return new HardwareDescription(hw.name(), hw.description(), hw.clockHz(), mems, hw.dmas(), hw.cpu(), accs);
  }

  /** {@code hw} whose DMA engines are synchronous (the host polls each transfer to its end). */
  public static HardwareDescription withSynchronousDmas(HardwareDescription hw) {
    List<io.kiln.target.DmaEngine> dmas = new ArrayList<>();
    for (io.kiln.target.DmaEngine d : hw.dmas()) {
      dmas.add(new io.kiln.target.DmaEngine(d.name(), d.from(), d.to(), d.bandwidthBytesPerCycle(), d.setupCycles(),
          d.channels(), d.bidirectional(), d.stridedDims(), true, d.rowCycles()));
    }
    return new HardwareDescription(hw.name(), hw.description(), hw.clockHz(), hw.memories(), dmas, hw.cpu(),
        hw.accelerators());
  }

  /** {@code hw} whose memory {@code memory} serves {@code ports} transfers at once. */
  public static HardwareDescription withPorts(HardwareDescription hw, String memory, int ports) {
    List<MemoryLevel> mems = new ArrayList<>();
    for (MemoryLevel m : hw.memories()) {
      mems.add(m.name().equals(memory) ? new MemoryLevel(m.name(), m.sizeBytes(), m.bandwidthBytesPerCycle(),
          m.latencyCycles(), m.energyPjPerByte(), m.writable(), m.readers(), ports) : m);
    }
    return new HardwareDescription(hw.name(), hw.description(), hw.clockHz(), mems, hw.dmas(), hw.cpu(),
        hw.accelerators());
  }
}
