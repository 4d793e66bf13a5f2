package io.kiln.sim;

import io.kiln.plan.deploy.Region;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The simulated memories of a SoC: one byte array per memory of the description (shared levels
 * and the accelerators' private ones), every access bounds-checked so that a plan reaching outside
 * a memory fails with the layer and tile that did it.
 */
public final class SimMemories {
  private final Map<String, byte[]> bytes = new LinkedHashMap<>();

  SimMemories(HardwareDescription hw, Map<String, Long> extents) {
    for (MemoryLevel m : hw.allMemories()) {
      // A memory is as large as the description says, but never allocated beyond what the plan
      // uses (a 512 MiB DRAM holds a few hundred kB of a TinyML model).
      long used = extents.getOrDefault(m.name(), 0L);
      long size = Math.min(m.sizeBytes(), Math.max(used, 1));
      if (size > Integer.MAX_VALUE - 8) {
        throw new SimulationException("memory " + m.name() + " of " + size + " B is too large to simulate");
      }
      bytes.put(m.name(), new byte[(int) size]);
    }
  }

  private SimMemories(Map<String, byte[]> arrays) {
    bytes.putAll(arrays);
  }

  /** Memories over the given arrays (shared, not copied): a unit model's staging buffers beside the SoC's. */
  public static SimMemories over(Map<String, byte[]> arrays) {
    return new SimMemories(arrays);
  }

  /** The bytes of {@code memory}, failing with {@code where} when {@code [at, at + n)} is outside it. */
  public byte[] checked(String memory, long at, long n, String where) {
    byte[] m = bytes.get(memory);
    if (m == null) {
      throw new SimulationException(where + ": no memory named " + memory);
    }
    if (at < 0 || n < 0 || at + n > m.length) {
      throw new SimulationException(where + " reaches byte " + (at + n) + " of memory " + memory + " ("
          + m.length + " B used)");
    }
    return m;
  }

  public byte[] read(Region r, String where) {
    byte[] m = checked(r.memory(), r.offset(), r.bytes(), where);
    byte[] out = new byte[(int) r.bytes()];
    System.arraycopy(m, (int) r.offset(), out, 0, out.length);
    return out;
  }

  public void write(Region r, byte[] data, String where) {
    byte[] m = checked(r.memory(), r.offset(), data.length, where);
    System.arraycopy(data, 0, m, (int) r.offset(), data.length);
  }
}
