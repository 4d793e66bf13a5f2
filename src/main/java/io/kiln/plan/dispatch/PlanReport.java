package io.kiln.plan.dispatch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kiln.ir.Op;
import io.kiln.plan.dispatch.DispatchResult.LayerDispatch;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.target.Accelerator;
import io.kiln.target.Cpu;
import io.kiln.target.HardwareDescription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code kiln plan} prints: per layer the unit, every accelerator's rejection, and (when the
 * layer planner ran) tiles, L1 and DMA bytes, cycles and utilization; then network totals. Text
 * for the terminal, JSON (snake_case, every field present) for tools.
 */
public record PlanReport(String model, String target, String policy, long clockHz,
    List<Row> layers, Totals totals) {

  /** One layer. Tile fields are null when the planner did not run for it. */
  public record Row(int index, String value, String op, String unit, String pattern,
      List<Reject> rejected, String tiles, Long tileCount, Long l1Bytes, Long dmaBytes,
      long cycles, Double utilization, boolean planned) {}

  public record Reject(String unit, String reason) {}

  /**
   * @param cycles at the description's clock (CPU layers converted)
   * @param weightBytesByMemory weights each memory holds (an accelerator's weight memory, or L2
   *     for the CPU's and for accelerators without one)
   */
  public record Totals(Map<String, Integer> layersByUnit, long cycles, double latencyMs,
      Long l2ArenaBytes, Map<String, Long> weightBytesByMemory) {}

  /** Builds the report from a dispatch and, per node index, the layer plans that exist. */
  public static PlanReport of(String model, HardwareDescription hw, DispatchResult d,
      Map<Integer, LayerPlan> plans, Long arenaBytes) {
    List<Row> rows = new ArrayList<>();
    Map<String, Integer> byUnit = new LinkedHashMap<>();
    Map<String, Long> weights = new LinkedHashMap<>();
    long total = 0;
    for (LayerDispatch l : d.layers()) {
      if (l.fused()) {
        // Run, and charged, by the calls of the layer it is fused into.
        rows.add(new Row(l.index(), "%" + l.node().output(), l.node().op().opName(), l.unit(),
            "fused into layer " + l.fusedInto().getAsInt(), List.of(), null, null, null, null, 0,
            null, true));
        continue;
      }
      LayerPlan p = plans.get(l.index());
      long cycles = p != null ? p.totalCycles() * hw.clockHz() / p.clockHz()
          : estimate(hw, d.graph(), l);
      total += cycles;
      byUnit.merge(l.unit(), 1, Integer::sum);
      l.layer().flatMap(Layer::weights).ifPresent(w -> weights.merge(weightMemory(hw, l.unit()),
          w.type().bytes(), Long::sum));
      String pattern = l.layer().filter(x -> !x.fused().isEmpty()).map(Layer::pattern)
          .orElse(l.accepted().stream().filter(a -> a.unit().equals(l.unit()))
              .map(a -> a.pattern()).findFirst().orElse(null));
      rows.add(new Row(l.index(), "%" + l.node().output(), l.node().op().opName(), l.unit(),
          pattern, l.rejections().stream().map(r -> new Reject(r.unit(), r.reason())).toList(),
          p != null && p.tiling() != null ? tileSizes(p.tiling()) : null,
          p != null ? (long) p.calls().size() : null, p != null ? p.l1Bytes() : null,
          p != null ? p.dmaBytes() : null, cycles, p != null ? p.macUtilization() : null,
          p != null));
    }
    double ms = 1000.0 * total / hw.clockHz();
    return new PlanReport(model, hw.name(), d.policy(), hw.clockHz(), rows,
        new Totals(byUnit, total, ms, arenaBytes, weights));
  }

  private static String weightMemory(HardwareDescription hw, String unit) {
    return hw.accelerator(unit).flatMap(Accelerator::weightMemory).map(m -> m.name())
        .orElse(hw.memories().size() > 1 ? hw.memories().get(1).name()
            : hw.memories().get(0).name());
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
    Cpu cpu = hw.cpu();
    Cpu.KernelKind kind = switch (l.node().op()) {
      case Op.Conv2D c -> Cpu.KernelKind.CONV2D;
      case Op.DepthwiseConv2D c -> Cpu.KernelKind.DEPTHWISE_CONV2D;
      case Op.FullyConnected c -> Cpu.KernelKind.FULLY_CONNECTED;
      case Op.MatMul c -> Cpu.KernelKind.MATMUL;
      case Op.MaxPool2D c -> Cpu.KernelKind.POOL;
      case Op.AveragePool2D c -> Cpu.KernelKind.POOL;
      case Op.Add c -> Cpu.KernelKind.ELEMENTWISE;
      case Op.Sub c -> Cpu.KernelKind.ELEMENTWISE;
      case Op.Mul c -> Cpu.KernelKind.ELEMENTWISE;
      case Op.Softmax c -> Cpu.KernelKind.SOFTMAX;
      case Op.Quantize c -> Cpu.KernelKind.REQUANTIZE;
      case Op.Reshape c -> Cpu.KernelKind.DATA_MOVEMENT;
      case Op.Transpose c -> Cpu.KernelKind.DATA_MOVEMENT;
      case Op.Pad c -> Cpu.KernelKind.DATA_MOVEMENT;
      case Op.Concatenation c -> Cpu.KernelKind.DATA_MOVEMENT;
      default -> Cpu.KernelKind.ACTIVATION;
    };
    long work = l.layer().map(Dispatcher::macs)
        .orElse((long) g.output(l.node()).type().elements());
    Cpu.KernelCost cost = cpu.cost(kind);
    double cycles = cpu.perCallOverheadCycles() + cost.overheadCycles() + cost.cyclesPerUnit()
        * work;
    return Math.round(cycles * hw.clockHz() / cpu.clockHz());
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
    sb.append("  weight bytes per memory: ").append(totals.weightBytesByMemory()).append('\n');
    return sb.toString();
  }
}
