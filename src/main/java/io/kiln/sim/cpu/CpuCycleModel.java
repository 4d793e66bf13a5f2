package io.kiln.sim.cpu;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.plan.schedule.CpuCost;
import io.kiln.sim.cpu.CpuCalibration.Constants;
import io.kiln.target.Cpu;
import io.kiln.target.Cpu.KernelCost;
import io.kiln.target.Cpu.KernelKind;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The cycles of one CPU kernel call for the simulator: {@code overhead + per_unit x work
 * (+ per_output x outputs)} per kernel kind, with constants fitted to instruction counts of Kiln's own kernels on an emulated
 * core of the CPU's kind ({@code calibration.json}, one cycle per instruction) where one exists,
 * else the hardware description's own {@code kernels} costs. Work is what the analytic cost
 * model multiplies by ({@link CpuCost#work}): MACs, pooling-window elements or output elements.
 */
public final class CpuCycleModel {
  private final Cpu cpu;
  private final CpuCalibration calibration;

  private CpuCycleModel(Cpu cpu, CpuCalibration calibration) {
    this.cpu = cpu;
    this.calibration = calibration;
  }

  /** The model for {@code cpu}: calibrated when a calibration fits its core or ISA. */
  public static CpuCycleModel forCpu(Cpu cpu) {
    CpuCalibration cal = calibrationName(cpu).map(CpuCalibration.all()::get).orElse(null);
    return new CpuCycleModel(cpu, cal);
  }

  /** The model for {@code cpu} with the given calibration's constants (tests re-fit them). */
  public static CpuCycleModel withCalibration(Cpu cpu, CpuCalibration calibration) {
    return new CpuCycleModel(cpu, calibration);
  }

  /**
   * Which calibration stands for a CPU. The core chooses first, since it chooses the kernels:
   * the M7 and M33 run the M4's DSP kernels with near-identical instruction counts, so the M4's
   * stand in for them; Helium kernels (M55) have no calibration. A generic core runs plain C,
   * so its ISA decides: rv32* is the rv32imc host, Armv7E-M and Armv8-M mainline the M4 without
   * the DSP kernels, Armv7-M the M3.
   */
  static Optional<String> calibrationName(Cpu cpu) {
    return switch (cpu.core()) {
      case CORTEX_M3 -> Optional.of("cortex-m3");
      case CORTEX_M4, CORTEX_M7, CORTEX_M33 -> Optional.of("cortex-m4-dsp");
      case RV32IMC -> Optional.of("rv32imc");
      case CORTEX_M55 -> Optional.empty();
      case GENERIC -> {
        String isa = cpu.isa().toLowerCase(Locale.ROOT);
        yield isa.startsWith("rv32") ? Optional.of("rv32imc")
            : isa.startsWith("armv7e-m") || isa.startsWith("armv8-m")
                || isa.startsWith("armv8.1-m") ? Optional.of("cortex-m4")
            : isa.startsWith("armv7-m") ? Optional.of("cortex-m3") : Optional.empty();
      }
    };
  }

  /**
   * Cycles of the CPU kernel of {@code node}. A kind the calibration has no measurement of
   * (see {@link #source()}) costs what the description says.
   */
  public long cycles(Graph graph, Node node) {
    KernelKind kind = CpuCost.kind(node.op());
    long work = CpuCost.work(graph, node);
    Constants c = calibration == null ? null : calibration.constants().get(kind);
    if (c != null) {
      return cycles(c, work, graph.output(node).shape().elements());
    }
    KernelCost d = cpu.cost(kind);
    // The analytic cost model's formula (CpuCost), so an uncalibrated CPU simulates as planned.
    return cpu.perCallOverheadCycles() + d.overheadCycles()
        + (long) Math.ceil(d.cyclesPerUnit() * work);
  }

  /** {@code overhead + ceil(per_unit x work + per_output x outputs)}. */
  static long cycles(Constants c, long work, long outputs) {
    return c.overheadCycles()
        + (long) Math.ceil(c.cyclesPerUnit() * work + c.cyclesPerOutput() * outputs);
  }

  /**
   * Which constants {@link #cycles} uses: {@code "description"}, or the calibration's name and
   * how it was measured, with the kinds it lacks (priced by the description) named.
   */
  public String source() {
    if (calibration == null) {
      return "description";
    }
    StringBuilder sb = new StringBuilder(calibration.core()).append(" calibration (")
        .append(calibration.how()).append(')');
    Map<KernelKind, Constants> c = calibration.constants();
    java.util.StringJoiner missing = new java.util.StringJoiner(", ");
    for (KernelKind k : KernelKind.values()) {
      if (!c.containsKey(k)) {
        missing.add(CpuCalibration.kindName(k));
      }
    }
    if (missing.length() > 0) {
      sb.append("; description for ").append(missing);
    }
    return sb.toString();
  }

  /** The calibration in use, if any. */
  public Optional<CpuCalibration> calibration() {
    return Optional.ofNullable(calibration);
  }
}
