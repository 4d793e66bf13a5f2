package io.kiln.testing;

import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.ArrayList;
import java.util.List;

/** Variations of hardware descriptions for sweeps: one memory resized, everything else kept. */
public final class Hardware {
  private Hardware() {}

  /** {@code hw} with the memory named {@code memory} resized to {@code bytes}. */
  public static HardwareDescription withMemorySize(HardwareDescription hw, String memory, long bytes) {
    List<MemoryLevel> mems = new ArrayList<>();
    for (MemoryLevel m : hw.memories()) {
      mems.add(m.name().equals(memory)
          ? new MemoryLevel(m.name(), bytes, m.bandwidthBytesPerCycle(), m.latencyCycles(), m.energyPjPerByte(),
              m.writable(), m.readers())
          : m);
    }
    return new HardwareDescription(hw.name(), hw.description(), hw.clockHz(), mems, hw.dmas(), hw.cpu(),
        hw.accelerators());
  }
}
