package io.kiln.sim;

import io.kiln.interp.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What simulating a deployment gave: the timeline of every resource, one result per step, the
 * totals, the network's outputs and whether they matched the interpreter on the lowered graph.
 *
 * @param clockHz the description's clock, which every cycle count here refers to
 * @param cycles the latency of one inference
 * @param busy cycles each resource (the CPU, each unit, each DMA channel) was busy
 * @param check the comparison with the interpreter, when one was asked for
 * @param cpuModel where the CPU kernels' cycles came from
 */
public record Simulation(String target, String policy, long clockHz, long cycles, List<Layer> layers,
    List<Event> events, Map<String, Long> busy, List<Tensor> outputs, Optional<Check> check, String cpuModel) {

  public Simulation {
    layers = List.copyOf(layers);
    events = List.copyOf(events);
    busy = Map.copyOf(busy);
    outputs = List.copyOf(outputs);
  }

  /** Seconds of one inference at the clock. */
  public double seconds() {
    return (double) cycles / clockHz;
  }

  /** The resource busy longest: what bounds the latency. */
  public String criticalResource() {
    return busy.entrySet().stream().max(Map.Entry.<String, Long>comparingByValue()
        .thenComparing(Map.Entry.comparingByKey())).map(Map.Entry::getKey).orElse("-");
  }

  /** Energy of the whole inference per memory level and per unit, in pJ. */
  public Map<String, Double> energyPj() {
    Map<String, Double> total = new java.util.TreeMap<>();
    for (Layer l : layers) {
      l.energyPj().forEach((k, v) -> total.merge(k, v, Double::sum));
    }
    return total;
  }

  /**
   * One interval on one resource's track.
   *
   * @param track the resource ({@code host}, {@code digital}, {@code dma_l2_l1#1})
   * @param category {@code cpu}, {@code job}, {@code dma}, {@code wait}
   * @param step index of the step in the plan
   * @param tile the tile, or -1
   */
  public record Event(String track, String name, String category, long start, long end, int step, int tile,
      long bytes) {}

  /**
   * One step of the plan as simulated.
   *
   * @param unit where it ran
   * @param start first cycle of the step on the host's timeline
   * @param end the cycle its last transfer or job finished
   * @param analyticCycles the analytic cost model's cycles for the same step
   * @param macs useful multiply-accumulates
   * @param peakMacsPerCycle the unit's peak, for utilization
   * @param computeCycles cycles the unit computed (jobs, or the CPU kernel)
   * @param kernelCycles the kernel calls alone, as a unit's published "full call" counts them: per
   *     job the host's setup and the unit's compute, plus the weight and parameter transfers (the
   *     activation tiles already in L1)
   * @param bytes DMA bytes per {@code from->to} memory pair
   * @param energyPj energy per memory level and per unit
   */
  public record Layer(int step, int node, String name, String op, String unit, long start, long end,
      long analyticCycles, long macs, long peakMacsPerCycle, long computeCycles, long kernelCycles, int tiles,
      Map<String, Long> bytes, Map<String, Double> energyPj) {
    public Layer {
      bytes = Map.copyOf(bytes);
      energyPj = Map.copyOf(energyPj);
    }

    public long cycles() {
      return end - start;
    }

    /** MACs over cycles times the unit's peak. */
    public double utilization() {
      return macs == 0 || cycles() == 0 ? 0 : (double) macs / ((double) cycles() * peakMacsPerCycle);
    }

    /** Simulated over analytic cycles, minus one: +0.05 is 5% slower than the estimate. */
    public double difference() {
      return analyticCycles == 0 ? 0 : (double) cycles() / analyticCycles - 1;
    }
  }

  /**
   * The outputs against the interpreter on the lowered graph.
   *
   * @param firstMismatch where the first wrong byte is (layer, tile, element), if any
   */
  public record Check(boolean matched, Optional<String> firstMismatch) {}
}
