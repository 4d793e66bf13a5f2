package io.kiln.testing;

import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Hardware descriptions changed for tests: memories shrunk to a budget. */
public final class TestTargets {
  private TestTargets() {}

  /** {@code hw} whose accelerators' L1 and weight memories are shrunk to the given sizes. */
  public static HardwareDescription withBudgets(HardwareDescription hw, long l1, long weights) {
    List<MemoryLevel> mems = new ArrayList<>();
    String l1Name = hw.accelerators().get(0).l1();
    for (MemoryLevel m : hw.memories()) {
      mems.add(m.name().equals(l1Name) ? new MemoryLevel(m.name(), l1, m.bandwidthBytesPerCycle(),
          m.latencyCycles(), m.energyPjPerByte(), m.writable(), m.readers()) : m);
    }
    List<Accelerator> accs = new ArrayList<>();
    for (Accelerator a : hw.accelerators()) {
      Optional<MemoryLevel> wm = a.weightMemory().map(m -> new MemoryLevel(m.name(), weights,
          m.bandwidthBytesPerCycle(), m.latencyCycles(), m.energyPjPerByte(), m.writable(), m.readers()));
      accs.add(a.withWeightMemory(wm));
    }
    return new HardwareDescription(hw.name(), hw.description(), hw.clockHz(), mems, hw.dmas(), hw.cpu(), accs);
  }
}
