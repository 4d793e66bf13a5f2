package io.kiln.target;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The host core: it runs every layer that no accelerator takes, with a cycle model per kind of
 * kernel (cycles per MAC for the MAC-bound kernels, per element for the others).
 *
 * @param isa base instruction set, for reports and code generation ({@code armv7e-m},
 *     {@code rv32imcf})
 * @param extensions ISA extensions the kernels may use ({@code dsp}, {@code xpulp})
 * @param simdWidthBits width of one SIMD register (32 for packed 4×int8 / 2×int16)
 * @param perCallOverheadCycles fixed cost of calling one kernel (argument setup, loop prologue)
 * @param energyPjPerCycle average energy of one active cycle, for the energy report
 * @param kernels the cycle model of every {@link KernelKind}
 * @param core the core code generation targets, which chooses the kernel family
 *     ({@link CpuCore#GENERIC}, plain C, unless the description names one)
 */
public record Cpu(String name, String isa, List<String> extensions, int cores, int simdWidthBits,
    long clockHz, long perCallOverheadCycles, double energyPjPerCycle,
    Map<KernelKind, KernelCost> kernels, CpuCore core) {

  public Cpu {
    extensions = List.copyOf(extensions);
    kernels = Map.copyOf(new EnumMap<>(kernels));
    java.util.Objects.requireNonNull(core);
  }

  /** The same CPU generating code for {@code c}. */
  public Cpu withCore(CpuCore c) {
    return new Cpu(name, isa, extensions, cores, simdWidthBits, clockHz, perCallOverheadCycles,
        energyPjPerCycle, kernels, c);
  }

  /** The cost of one kernel kind; the loader guarantees every kind has one. */
  public KernelCost cost(KernelKind kind) {
    return kernels.get(kind);
  }

  /** What one unit of a kernel's work is, which the cycle model multiplies by. */
  public enum WorkUnit {
    /** One multiply-accumulate. */
    MAC("cycles_per_mac"),
    /** One input element read by a pooling window (output elements × window area). */
    WINDOW_ELEMENT("cycles_per_window_element"),
    /** One output element. */
    OUTPUT_ELEMENT("cycles_per_element");

    private final String yamlKey;

    WorkUnit(String yamlKey) {
      this.yamlKey = yamlKey;
    }

    /** The key of {@link KernelCost#cyclesPerUnit} in a hardware file. */
    public String yamlKey() {
      return yamlKey;
    }
  }

  /** Kinds of CPU kernels that cost differently per unit of work. */
  public enum KernelKind {
    CONV2D(WorkUnit.MAC),
    DEPTHWISE_CONV2D(WorkUnit.MAC),
    FULLY_CONNECTED(WorkUnit.MAC),
    MATMUL(WorkUnit.MAC),
    POOL(WorkUnit.WINDOW_ELEMENT),
    ELEMENTWISE(WorkUnit.OUTPUT_ELEMENT),
    ACTIVATION(WorkUnit.OUTPUT_ELEMENT),
    SOFTMAX(WorkUnit.OUTPUT_ELEMENT),
    REQUANTIZE(WorkUnit.OUTPUT_ELEMENT),
    /** Reshape, transpose, pad, concatenation, slicing: copies. */
    DATA_MOVEMENT(WorkUnit.OUTPUT_ELEMENT);

    private final WorkUnit unit;

    KernelKind(WorkUnit unit) {
      this.unit = unit;
    }

    public WorkUnit unit() {
      return unit;
    }
  }

  /**
   * Cycles of one CPU kernel call: {@code overheadCycles + cyclesPerUnit × work}, on top of the
   * CPU's per-call overhead.
   */
  public record KernelCost(double cyclesPerUnit, long overheadCycles) {}
}
