package io.kiln.sim;

import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.target.Accelerator;
import io.kiln.target.DmaEngine;
import io.kiln.target.HardwareDescription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The resources of a simulated SoC and what each is doing when: the host's clock (it issues
 * everything in program order), each DMA engine's channels (a transfer takes the channel that
 * frees first, no earlier than the host issues it) and each unit. Every interval becomes an
 * {@link Simulation.Event} on its resource's track.
 */
public final class Timeline {
  private final String hostTrack;
  private long host;
  private final Map<String, long[]> channels = new HashMap<>();
  /** When each port of a memory that declares its ports frees; transfers through it wait for one. */
  private final Map<String, long[]> ports = new HashMap<>();
  private final Map<String, Long> units = new HashMap<>();
  private final Map<String, Long> busy = new TreeMap<>();
  private final List<Simulation.Event> events = new ArrayList<>();
  private long lastDmaCycles;

  Timeline(HardwareDescription hw) {
    for (io.kiln.target.MemoryLevel m : hw.memories()) {
      if (m.ports() > 0) {
        ports.put(m.name(), new long[m.ports()]);
      }
    }
    hostTrack = hw.cpu().name();
    busy.put(hostTrack, 0L);
    for (DmaEngine e : hw.dmas()) {
      channels.put(e.name(), new long[e.channels()]);
    }
    for (Accelerator a : hw.accelerators()) {
      units.put(a.name(), 0L);
      busy.put(a.name(), 0L);
    }
  }

  /** Cycles the last transfer started by {@link #dma} occupies its channel. */
  public long lastDmaCycles() {
    return lastDmaCycles;
  }

  /** The host's current cycle. */
  public long host() {
    return host;
  }

  List<Simulation.Event> events() {
    return events;
  }

  Map<String, Long> busy() {
    return busy;
  }

  private void event(String track, String name, String category, long start, long end, int step, int tile,
      long bytes) {
    if (end > start) {
      events.add(new Simulation.Event(track, name, category, start, end, step, tile, bytes));
      busy.merge(track, end - start, Long::sum);
    }
  }

  /** The host works {@code cycles} cycles. */
  public void hostBusy(long cycles, String name, String category, int step, int tile) {
    event(hostTrack, name, category, host, host + cycles, step, tile, 0);
    host += cycles;
  }

  /** The host waits until {@code until} (idle, not busy). */
  public void hostWait(long until, String name, int step) {
    if (until > host) {
      events.add(new Simulation.Event(hostTrack, name, "wait", host, until, step, -1, 0));
      host = until;
    }
  }

  /**
   * Starts {@code d} on engine {@code e} and returns the cycle it completes. An engine that
   * describes fewer dimensions than the copy needs runs it as several commands, each with its
   * setup; a synchronous engine keeps the host until it is done.
   */
  public long dma(DmaEngine e, DmaDescriptor d, int step) {
    long rows = d.rows() * d.planes();
    long commands;
    long rowsPerCommand;
    if (d.dims() <= e.stridedDims()) {
      commands = 1;
      rowsPerCommand = rows;
    } else if (e.stridedDims() == 2) {
      commands = d.planes();
      rowsPerCommand = d.rows();
    } else {
      commands = rows;
      rowsPerCommand = 1;
    }
    long perCommand = e.setupCycles() + (long) Math.ceil(d.run() * rowsPerCommand / e.bandwidthBytesPerCycle())
        + e.rowCycles() * (rowsPerCommand - 1);
    long cycles = commands * perCommand;
    long[] free = channels.get(e.name());
    int ch = 0;
    for (int i = 1; i < free.length; i++) {
      if (free[i] < free[ch]) {
        ch = i;
      }
    }
    long start = Math.max(host, free[ch]);
    // A memory with declared ports serves one transfer a port: wait for the first to free.
    int[] taken = new int[2];
    String[] ends = {d.src(), d.dst()};
    for (int i = 0; i < 2; i++) {
      long[] p = ports.get(ends[i]);
      taken[i] = -1;
      if (p != null) {
        taken[i] = earliest(p);
        start = Math.max(start, p[taken[i]]);
      }
    }
    long end = start + cycles;
    for (int i = 0; i < 2; i++) {
      if (taken[i] >= 0) {
        ports.get(ends[i])[taken[i]] = end;
      }
    }
    lastDmaCycles = cycles;
    free[ch] = end;
    String name = d.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + d.src() + "->" + d.dst();
    event(e.name() + "#" + ch, name, "dma", start, end, step, d.tile(), d.bytes());
    if (e.synchronous()) {
      // The HAL polls the engine after each command: the host is held for the whole copy.
      hostWait(start, "wait channel", step);
      event(hostTrack, "poll " + name, "dma", host, end, step, d.tile(), 0);
      host = end;
    }
    return end;
  }

  private static int earliest(long[] free) {
    int best = 0;
    for (int i = 1; i < free.length; i++) {
      if (free[i] < free[best]) {
        best = i;
      }
    }
    return best;
  }

  /**
   * The host programs a job ({@code setup} cycles), the unit computes it once it is free, and the
   * host waits for it.
   */
  public void job(Accelerator unit, long setup, long compute, String name, int step, int tile) {
    hostBusy(setup, "program " + name, "setup", step, tile);
    long start = Math.max(host, units.get(unit.name()));
    long end = start + compute;
    units.put(unit.name(), end);
    event(unit.name(), name, "job", start, end, step, tile, 0);
    hostWait(end, "wait " + unit.name(), step);
  }
}
