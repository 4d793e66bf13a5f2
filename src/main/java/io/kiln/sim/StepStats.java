package io.kiln.sim;

import io.kiln.ir.Node;
import java.util.Map;
import java.util.TreeMap;

/** What one step of a simulation accumulates: compute, MACs, tiles, DMA bytes and energy. */
public final class StepStats {
  private final long start;
  private long compute;
  private long kernel;
  private long macs;
  private int tiles;
  private final Map<String, Long> bytes = new TreeMap<>();
  private final Map<String, Double> energy = new TreeMap<>();

  StepStats(long start) {
    this.start = start;
  }

  /** Cycles a unit (or the CPU) computed. */
  public void compute(long cycles) {
    compute += cycles;
  }

  /** Cycles of the kernel calls proper: setup, compute, weight and parameter transfers. */
  public void kernel(long cycles) {
    kernel += cycles;
  }

  public void macs(long n) {
    macs += n;
  }

  /** One more tile computed. */
  public void tile() {
    tiles++;
  }

  /** {@code n} DMA bytes from {@code from} to {@code to}. */
  public void bytes(String from, String to, long n) {
    bytes.merge(from + "->" + to, n, Long::sum);
  }

  /** {@code pj} picojoules spent in a memory level or a unit. */
  public void energy(String key, double pj) {
    energy.merge(key, pj, Double::sum);
  }

  Simulation.Layer layer(int s, Node n, String name, String unit, long analytic, long peak, long end) {
    return new Simulation.Layer(s, n.output(), name, n.op().opName(), unit, start, end, analytic, macs, peak,
        compute, kernel, tiles, bytes, energy);
  }
}
