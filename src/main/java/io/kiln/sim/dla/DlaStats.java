package io.kiln.sim.dla;

import io.kiln.isa.dla.Opcode;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the instruction-set simulator counts: per opcode the instructions, cycles and MACs (PE
 * utilization is MACs over cycles times PEs), per subgraph kind the cycles, and per layer the
 * cycles of each kind.
 */
public final class DlaStats {
  /** Counters of one opcode. */
  public static final class PerOpcode {
    long count;
    long cycles;
    long macs;

    public long count() {
      return count;
    }

    public long cycles() {
      return cycles;
    }

    public long macs() {
      return macs;
    }
  }

  private final long pes;
  private final Map<Opcode, PerOpcode> opcodes = new EnumMap<>(Opcode.class);
  private final Map<SubgraphKind, Long> kinds = new EnumMap<>(SubgraphKind.class);
  private final Map<String, Map<SubgraphKind, Long>> layers = new LinkedHashMap<>();
  private long streamBytes;
  private long sramHighWater;

  public DlaStats(long pes) {
    this.pes = pes;
  }

  void instruction(Opcode op, long cycles, long macs) {
    PerOpcode p = opcodes.computeIfAbsent(op, o -> new PerOpcode());
    p.count++;
    p.cycles += cycles;
    p.macs += macs;
  }

  void kind(String layer, SubgraphKind k, long cycles) {
    kinds.merge(k, cycles, Long::sum);
    layers.computeIfAbsent(layer, l -> new EnumMap<>(SubgraphKind.class)).merge(k, cycles, Long::sum);
  }

  void stream(long bytes) {
    streamBytes += bytes;
  }

  void sram(long highWater) {
    sramHighWater = Math.max(sramHighWater, highWater);
  }

  public Map<Opcode, PerOpcode> opcodes() {
    return opcodes;
  }

  public long cycles(SubgraphKind k) {
    return kinds.getOrDefault(k, 0L);
  }

  public Map<String, Map<SubgraphKind, Long>> layers() {
    return layers;
  }

  /** Bytes of all command streams, as encoded. */
  public long streamBytes() {
    return streamBytes;
  }

  /** The highest SRAM byte any buffer of a call reaches. */
  public long sramHighWater() {
    return sramHighWater;
  }

  /** MACs of the array instructions over their cycles times the PEs. */
  public double utilization() {
    long macs = 0;
    long cycles = 0;
    for (Map.Entry<Opcode, PerOpcode> e : opcodes.entrySet()) {
      if (e.getValue().macs > 0) {
        macs += e.getValue().macs;
        cycles += e.getValue().cycles;
      }
    }
    return cycles == 0 ? 0 : (double) macs / ((double) cycles * pes);
  }

  public double utilization(Opcode op) {
    PerOpcode p = opcodes.get(op);
    return p == null || p.cycles == 0 ? 0 : (double) p.macs / ((double) p.cycles * pes);
  }

  /** A text table: one line per opcode, then the cycles per subgraph kind. */
  public String table() {
    StringBuilder sb = new StringBuilder(String.format("%-16s %10s %14s %14s %6s%n", "instruction", "count",
        "cycles", "MACs", "PE%"));
    for (Map.Entry<Opcode, PerOpcode> e : opcodes.entrySet()) {
      PerOpcode p = e.getValue();
      sb.append(String.format("%-16s %10d %14d %14d %6.1f%n", e.getKey().mnemonic(), p.count, p.cycles, p.macs,
          100 * utilization(e.getKey())));
    }
    sb.append("cycles by subgraph kind:");
    for (SubgraphKind k : SubgraphKind.values()) {
      sb.append(' ').append(k).append('=').append(cycles(k));
    }
    sb.append(String.format("%nPE utilization of the array instructions: %.1f%%, command streams %d B%n",
        100 * utilization(), streamBytes));
    return sb.toString();
  }
}
