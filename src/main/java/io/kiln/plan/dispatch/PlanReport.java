package io.kiln.plan.dispatch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kiln.plan.dispatch.DispatchResult.LayerDispatch;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.schedule.LayerPlanner;
import io.kiln.plan.schedule.NetworkSchedule;
import io.kiln.plan.schedule.Unit;
import io.kiln.plan.schedule.WeightPlacement;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code kiln plan} prints: per layer the unit, every accelerator's rejection, and (when the
 * layer planner ran) tiles, L1 and DMA bytes, cycles, utilization and where its weights live;
 * then network totals. With layer plans, every total is read from the {@link NetworkSchedule}
 * (the one owner of cycles, arena and weight placement), never added up here. Text for the
 * terminal, JSON (snake_case, every field present) for tools.
 */
public record PlanReport(String model, String target, String policy, long clockHz,
    List<Row> layers, Totals totals) {

  /** One layer. Tile fields are null when the planner did not run for it. */
  public record Row(int index, String value, String op, String unit, String pattern,
      List<Reject> rejected, String tiles, Long tileCount, Long l1Bytes, Long dmaBytes,
      long cycles, Double utilization, boolean planned, Weights weights) {}

  public record Reject(String unit, String reason) {}

  /**
   * Where one layer's constants live.
   *
   * @param memory null when they fit nowhere
   * @param offset first byte in {@code memory} (null when unplaced)
   * @param bytes the blob's size, padding included
   * @param paddingBytes bytes of it the layout pads
   * @param layout how the bytes are arranged ({@code tflite}, {@code array_blocks K16}, ...)
   * @param note why it is not in L2 or fits nowhere; null otherwise
   */
  public record Weights(String memory, Long offset, long bytes, long paddingBytes, String layout,
      String note) {}

  /**
   * @param cycles at the description's clock (CPU layers converted)
   * @param weightBytesByMemory bytes of weight blobs stored per memory (L2, flash); null without
   *     layer plans
   * @param residentWeightBytes per accelerator weight memory, the most one layer's tiles keep
   *     there; null without layer plans
   * @param weightPlacement per memory: capacity, arena, blobs; null without layer plans
   */
  public record Totals(Map<String, Integer> layersByUnit, long cycles, double latencyMs,
      Long l2ArenaBytes, Map<String, Long> weightBytesByMemory,
      Map<String, Long> residentWeightBytes, Placement weightPlacement) {}

  /**
   * @param alignment every blob starts at a multiple of it
   * @param memories the memories that hold the arena or blobs
   * @param unplaced blobs that fit nowhere
   */
  public record Placement(int alignment, List<MemoryUse> memories, int unplaced) {}

  /** How much of one memory the arena and the weight blobs use. */
  public record MemoryUse(String memory, long capacityBytes, long arenaBytes, long weightBytes,
      long paddingBytes, long usedBytes, int blobs) {}

  /**
   * The report of a planned network: {@code schedule.layers()} are the plans of
   * {@code d.layers()}, in the same order.
   */
  public static PlanReport of(String model, HardwareDescription hw, DispatchResult d,
      NetworkSchedule schedule) {
    List<Row> rows = new ArrayList<>();
    Map<String, Integer> byUnit = new LinkedHashMap<>();
    WeightPlacement placement = schedule.placement();
    int next = 0;
    for (LayerDispatch l : d.layers()) {
      if (l.fused()) {
        rows.add(fusedRow(l));
        continue;
      }
      if (next >= schedule.layers().size() || !schedule.layers().get(next).node().equals(l.node())) {
        throw new IllegalArgumentException("the schedule has no plan of layer " + l.index()
            + " in dispatch order");
      }
      LayerPlan p = schedule.layers().get(next++);
      byUnit.merge(l.unit(), 1, Integer::sum);
      Weights w = placement.blob(p.node()).map(b -> new Weights(b.memory().orElse(null),
          b.memory().isPresent() ? b.offset() : null, b.bytes(), b.paddingBytes(), b.layout(),
          b.note().orElse(null))).orElse(null);
      rows.add(row(l, p, NetworkSchedule.cycles(hw, p), w));
    }
    if (next != schedule.layers().size()) {
      throw new IllegalArgumentException(schedule.layers().size() + " layer plans for " + next
          + " layers that are not fused into another");
    }
    List<MemoryUse> uses = placement.memories().stream().map(u -> new MemoryUse(u.memory(),
        u.capacityBytes(), u.arenaBytes(), u.weightBytes(), u.paddingBytes(), u.usedBytes(),
        (int) placement.blobs().stream().filter(b -> b.memory().equals(Optional.of(u.memory())))
            .count())).toList();
    return new PlanReport(model, hw.name(), d.policy(), hw.clockHz(), rows,
        new Totals(byUnit, schedule.totalCycles(), 1000.0 * schedule.latencySeconds(),
            schedule.arenaBytes(), schedule.weightBytesByMemory(),
            new TreeMap<>(schedule.residentWeightBytes()),
            new Placement(placement.alignment(), uses, placement.unplaced().size())));
  }

  /**
   * The report of a dispatch without layer plans: cycles are estimates (array-bound for
   * accelerators, the CPU's kernel model for the host) and weights are not placed, because
   * their layouts depend on the tiles.
   */
  public static PlanReport dispatchOnly(String model, HardwareDescription hw, DispatchResult d,
      long arenaBytes) {
    List<Row> rows = new ArrayList<>();
    Map<String, Integer> byUnit = new LinkedHashMap<>();
    long total = 0;
    for (LayerDispatch l : d.layers()) {
      if (l.fused()) {
        rows.add(fusedRow(l));
        continue;
      }
      long cycles = estimate(hw, d.graph(), l);
      total += cycles;
      byUnit.merge(l.unit(), 1, Integer::sum);
      rows.add(row(l, null, cycles, null));
    }
    double ms = 1000.0 * total / hw.clockHz();
    return new PlanReport(model, hw.name(), d.policy(), hw.clockHz(), rows,
        new Totals(byUnit, total, ms, arenaBytes, null, null, null));
  }

  /** A node run, and charged, by the calls of the layer it is fused into. */
  private static Row fusedRow(LayerDispatch l) {
    return new Row(l.index(), "%" + l.node().output(), l.node().op().opName(), l.unit(),
        "fused into layer " + l.fusedInto().getAsInt(), List.of(), null, null, null, null, 0, null,
        true, null);
  }

  private static Row row(LayerDispatch l, LayerPlan p, long cycles, Weights w) {
    // A fused layer is named by its fused pattern; others by the pattern their unit accepted.
    String pattern = l.layer().filter(x -> !x.fused().isEmpty()).map(Layer::pattern)
        .orElse(l.accepted().stream().filter(a -> a.unit().equals(l.unit()))
            .map(a -> a.pattern()).findFirst().orElse(null));
    return new Row(l.index(), "%" + l.node().output(), l.node().op().opName(), l.unit(),
        pattern, l.rejections().stream().map(r -> new Reject(r.unit(), r.reason())).toList(),
        p != null && p.tiling() != null ? tileSizes(p.tiling()) : null,
        p != null ? (long) p.calls().size() : null, p != null ? p.l1Bytes() : null,
        p != null ? p.dmaBytes() : null, cycles, p != null ? p.macUtilization() : null,
        p != null, w);
  }

  /**
   * Cycles without a layer plan: array-bound for accelerators, the CPU's kernel model for the
   * host, at the description's clock.
   */
  static long estimate(HardwareDescription hw, io.kiln.ir.Graph g, LayerDispatch l) {
    Optional<Accelerator> acc = hw.accelerator(l.unit());
    if (acc.isPresent() && l.layer().isPresent()) {
      return Dispatcher.idealCycles(hw).cycles(l.layer().get(), l.unit()).orElse(0);
    }
    // The host's cost is what its layer plan charges (one owner of the CPU kernel model).
    LayerPlan cpu = (LayerPlan) new LayerPlanner(hw, null).plan(g, l.node(), new Unit.CpuUnit(hw.cpu()));
    return NetworkSchedule.cycles(hw, cpu);
  }

  public String toJson() {
    try {
      return new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the plan report", e);
    }
  }

  /** Tile sizes as {@code K16 C64 OY5 OX5}: what one compute call covers. */
  private static String tileSizes(io.kiln.plan.tiling.Tiling t) {
    int[] s = t.sizes();
    return "K" + s[0] + " C" + s[1] + " OY" + s[2] + " OX" + s[3];
  }

  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "plan %s on %s (policy %s, %d MHz)%n", model, target,
        policy, clockHz / 1_000_000));
    sb.append(String.format(Locale.ROOT,
        "%4s %-6s %-16s %-8s %-34s %-22s %8s %10s %10s %12s %6s%n", "#", "value", "op", "unit",
        "pattern", "tile", "tiles", "L1 B", "DMA B", "cycles", "util"));
    for (Row r : layers) {
      sb.append(String.format(Locale.ROOT,
          "%4d %-6s %-16s %-8s %-34s %-22s %8s %10s %10s %12d %6s%n",
          r.index(), r.value(), r.op(), r.unit(), r.pattern() == null ? "-" : r.pattern(),
          r.tiles() == null ? "-" : r.tiles(), r.tileCount() == null ? "-" : r.tileCount(), r.l1Bytes() == null ? "-" : r.l1Bytes(),
          r.dmaBytes() == null ? "-" : r.dmaBytes(), r.cycles(), r.utilization() == null ? "-"
              : String.format(Locale.ROOT, "%.0f%%", 100 * r.utilization())));
      for (Reject j : r.rejected()) {
        sb.append("       rejected by ").append(j.unit()).append(": ").append(j.reason())
            .append('\n');
      }
    }
    sb.append("totals:\n");
    sb.append("  layers per unit: ").append(totals.layersByUnit()).append('\n');
    sb.append(String.format(Locale.ROOT, "  cycles: %d (latency %.3f ms at %d MHz)%s%n",
        totals.cycles(), totals.latencyMs(), clockHz / 1_000_000,
        layers.stream().allMatch(Row::planned) ? "" : " (estimate: array-bound for"
            + " accelerator layers without a tile plan)"));
    sb.append("  L2 arena: ").append(totals.l2ArenaBytes() == null ? "-"
        : totals.l2ArenaBytes() + " bytes").append('\n');
    Placement pl = totals.weightPlacement();
    if (pl == null) {
      sb.append("  weights: not placed without layer plans (their layouts depend on the tiles)\n");
      return sb.toString();
    }
    sb.append(String.format(Locale.ROOT,
        "  weight placement (blobs %d-byte aligned for DMA bursts):%n", pl.alignment()));
    for (MemoryUse u : pl.memories()) {
      String arena = u.arenaBytes() > 0
          ? String.format(Locale.ROOT, "the %,d B arena", u.arenaBytes()) : "";
      String blobs = String.format(Locale.ROOT, "%,d B of weights in %d blob%s (%,d B padding)",
          u.weightBytes(), u.blobs(), u.blobs() == 1 ? "" : "s", u.paddingBytes());
      String what = u.blobs() == 0 ? arena : arena.isEmpty() ? blobs : blobs + " after " + arena;
      sb.append(String.format(Locale.ROOT, "    %s: %s, %,d / %,d B used (%.0f%%)%n", u.memory(),
          what, u.usedBytes(), u.capacityBytes(), 100.0 * u.usedBytes() / u.capacityBytes()));
    }
    if (!totals.residentWeightBytes().isEmpty()) {
      sb.append("    resident in weight memories (largest layer): ");
      sb.append(String.join(", ", totals.residentWeightBytes().entrySet().stream()
          .map(e -> String.format(Locale.ROOT, "%s %,d B", e.getKey(), e.getValue())).toList()));
      sb.append('\n');
    }
    for (Row r : layers) {
      if (r.weights() != null && r.weights().note() != null) {
        sb.append(String.format(Locale.ROOT, "    layer %d (%s): %s%n", r.index(), r.value(),
            r.weights().note()));
      }
    }
    return sb.toString();
  }
}
