package io.kiln.target;

import io.kiln.KilnException;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * The core a CPU target generates code for, and so the family of kernels its layers get: plain
 * portable C for {@link #GENERIC} (and cores without the DSP extension), the Armv7E-M/Armv8-M DSP
 * extension through ACLE intrinsics for the Cortex-M4, M7 and M33, Helium (MVE) where it pays
 * and the DSP extension elsewhere for the Cortex-M55; plain C for the RISC-V {@link #RV32IMC}.
 */
public enum CpuCore {
  /** Any C99 compiler and machine: today's portable kernels, the reference for the others. */
  GENERIC("generic", KernelFamily.PLAIN_C, List.of()),
  /** Armv7-M without the DSP extension: plain C. */
  CORTEX_M3("cortex-m3", KernelFamily.PLAIN_C, List.of("-mcpu=cortex-m3", "-mthumb")),
  CORTEX_M4("cortex-m4", KernelFamily.DSP, List.of("-mcpu=cortex-m4", "-mthumb",
      "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")),
  CORTEX_M7("cortex-m7", KernelFamily.DSP, List.of("-mcpu=cortex-m7", "-mthumb",
      "-mfloat-abi=hard", "-mfpu=fpv5-d16")),
  CORTEX_M33("cortex-m33", KernelFamily.DSP, List.of("-mcpu=cortex-m33", "-mthumb",
      "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16")),
  /** Armv8.1-M with Helium, which also has the DSP extension. */
  CORTEX_M55("cortex-m55", KernelFamily.MVE, List.of("-mcpu=cortex-m55", "-mthumb",
      "-mfloat-abi=hard")),
  /**
   * A 32-bit RISC-V core with multiply and compressed instructions and no FPU (DIANA's and the
   * DLA's host class): plain C. Debian's picolibc has no rv32imc multilib, so gcc links the rv32im
   * one (the C library without compressed instructions; the model's code has them).
   */
  RV32IMC("rv32imc", KernelFamily.PLAIN_C, List.of("-march=rv32imc", "-mabi=ilp32",
      "--specs=picolibc.specs"));

  /**
   * What kind of kernels a core's layers get, each family a superset of the one before: a core
   * runs the code of its own family and of every earlier one.
   */
  public enum KernelFamily {
    /** Portable C99 loops shaped for auto-vectorization. */
    PLAIN_C("plain-c"),
    /** The Arm DSP extension (SXTB16, SMLAD, SSAT ...) through {@code arm_acle.h}. */
    DSP("dsp"),
    /** Helium (VMLADAVA ...) through {@code arm_mve.h}, with the DSP kernels where it has none. */
    MVE("mve");

    private final String id;

    KernelFamily(String id) {
      this.id = id;
    }

    /** The name reports use, e.g. {@code dsp}. */
    public String id() {
      return id;
    }
  }

  private final String id;
  private final KernelFamily family;
  private final List<String> gccFlags;

  CpuCore(String id, KernelFamily family, List<String> gccFlags) {
    this.id = id;
    this.family = family;
    this.gccFlags = gccFlags;
  }

  /** The name targets and descriptions use, e.g. {@code cortex-m4}. */
  public String id() {
    return id;
  }

  public KernelFamily family() {
    return family;
  }

  /** The cross compiler's flags that select this core (empty for {@link #GENERIC}). */
  public List<String> gccFlags() {
    return gccFlags;
  }

  /** Whether this is a RISC-V core (built with riscv64-unknown-elf-gcc, not arm-none-eabi-gcc). */
  public boolean riscv() {
    return this == RV32IMC;
  }

  /** The cross compiler for this core: {@code arm-none-eabi-gcc} or {@code riscv64-unknown-elf-gcc}. */
  public String crossCompiler() {
    return riscv() ? "riscv64-unknown-elf-gcc" : "arm-none-eabi-gcc";
  }

  /**
   * Whether code generated for {@code generatedFor} runs on this core: plain C runs anywhere,
   * DSP-extension code on every core that has the extension, Helium code on Helium cores.
   */
  public boolean runs(CpuCore generatedFor) {
    return generatedFor.family.ordinal() <= family.ordinal();
  }

  /** The core called {@code id}; an unknown name is a user error listing the known ones. */
  public static CpuCore named(String id) {
    String want = id.strip().toLowerCase(Locale.ROOT);
    StringJoiner known = new StringJoiner("|");
    for (CpuCore c : values()) {
      if (c.id.equals(want)) {
        return c;
      }
      known.add(c.id);
    }
    throw new KilnException("unknown core '" + id + "' (known: " + known + ")");
  }
}
