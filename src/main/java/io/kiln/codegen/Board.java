package io.kiln.codegen;

import io.kiln.KilnException;
import io.kiln.target.CpuCore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A bare-metal board the CPU target can build for: besides the C library and the host driver,
 * a compile for a board emits that board's start-up code, linker script, driver and makefile.
 * Every board is one QEMU machine with semihosting; they differ in the core, the memory map and,
 * between Arm and RISC-V, the start-up code and semihosting call, which fill in the same driver,
 * linker-script and makefile templates.
 */
public enum Board {
  /** Arm MPS2 with the AN385 FPGA image (Cortex-M3), as QEMU's {@code mps2-an385} models it. */
  MPS2_AN385("mps2-an385", CpuCore.CORTEX_M3, "Arm MPS2 AN385 board (Cortex-M3)",
      "kiln_mps2.elf", Region.ZBT_SSRAM1, Region.ZBT_SSRAM23),
  /** Arm MPS2 with the AN386 image (Cortex-M4 with FPU): AN385's memory map. */
  MPS2_AN386("mps2-an386", CpuCore.CORTEX_M4, "Arm MPS2 AN386 board (Cortex-M4)",
      "kiln_mps2.elf", Region.ZBT_SSRAM1, Region.ZBT_SSRAM23),
  /** Arm MPS2 with the AN500 image (Cortex-M7 with double-precision FPU): the same map. */
  MPS2_AN500("mps2-an500", CpuCore.CORTEX_M7, "Arm MPS2 AN500 board (Cortex-M7)",
      "kiln_mps2.elf", Region.ZBT_SSRAM1, Region.ZBT_SSRAM23),
  /**
   * Arm MPS3 with the AN547 image (Cortex-M55 with Helium). The core resets in the Secure
   * state, so code and data use the Secure aliases of the SSE-300's tightly coupled memories.
   */
  MPS3_AN547("mps3-an547", CpuCore.CORTEX_M55, "Arm MPS3 AN547 board (Cortex-M55)",
      "kiln_mps3.elf", Region.SSE300_ITCM_SECURE, Region.SSE300_DTCM_SECURE),
  /**
   * QEMU's generic RISC-V {@code virt} machine with one rv32imc hart and no firmware
   * ({@code -bios none}): the reset ROM jumps to the start of DRAM, where the image is linked.
   * The first 4 MiB of DRAM hold code and constants, the next 4 MiB the data.
   */
  RISCV32_VIRT("riscv32-virt", CpuCore.RV32IMC, "QEMU RISC-V virt board (rv32imc)",
      "kiln_riscv32.elf", Region.VIRT_DRAM_CODE, Region.VIRT_DRAM_DATA);

  /** A memory of the board as QEMU maps it: where it starts, how big, what it is. */
  record Region(long origin, String length, String what) {
    static final Region ZBT_SSRAM1 = new Region(0x00000000L, "4M", "ZBT SSRAM1");
    static final Region ZBT_SSRAM23 = new Region(0x20000000L, "4M", "ZBT SSRAM2&3");
    static final Region SSE300_ITCM_SECURE = new Region(0x10000000L, "512K",
        "SSE-300 ITCM (Secure alias of 0x00000000)");
    static final Region SSE300_DTCM_SECURE = new Region(0x30000000L, "512K",
        "SSE-300 DTCM (Secure alias of 0x20000000)");
    static final Region VIRT_DRAM_CODE = new Region(0x80000000L, "4M",
        "virt DRAM, first 4 MiB");
    static final Region VIRT_DRAM_DATA = new Region(0x80400000L, "4M",
        "virt DRAM, next 4 MiB");
  }

  private final String id;
  private final CpuCore core;
  private final String title;
  private final String firmware;
  private final Region code;
  private final Region ram;

  Board(String id, CpuCore core, String title, String firmware, Region code, Region ram) {
    this.id = id;
    this.core = core;
    this.title = title;
    this.firmware = firmware;
    this.code = code;
    this.ram = ram;
  }

  /** The name the CLI takes, e.g. {@code mps2-an385}; QEMU's machine name for the Arm boards. */
  public String id() {
    return id;
  }

  /** The QEMU system emulator that runs the board. */
  public String qemu() {
    return core.riscv() ? "qemu-system-riscv32" : "qemu-system-arm";
  }

  /** The QEMU options that select the machine, e.g. {@code -M virt -bios none}. */
  public List<String> qemuMachine() {
    return core.riscv() ? List.of("-M", "virt", "-bios", "none") : List.of("-M", id);
  }

  /** The board's core: its compiler flags, and what a compile for it defaults to. */
  public CpuCore core() {
    return core;
  }

  /** The makefile (among {@link #files()}) whose default target builds {@link #firmware()}. */
  public String makefile() {
    return "Makefile." + id;
  }

  /** The file the board's makefile builds. */
  public String firmware() {
    return firmware;
  }

  /** The name the driver's messages start with: the firmware's, e.g. {@code kiln_mps2}. */
  public String driver() {
    return firmware.replace(".elf", "");
  }

  /** The start-up code's file name. */
  public String startup() {
    return "startup_" + stem() + ".c";
  }

  /** The linker script's file name. */
  public String linkerScript() {
    return stem() + ".ld";
  }

  /** The compiler flags of the board's makefile, core first. */
  public List<String> cflags() {
    List<String> f = new java.util.ArrayList<>(core.gccFlags());
    f.addAll(List.of("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-ffunction-sections",
        "-fdata-sections"));
    return List.copyOf(f);
  }

  /** The C files of a board build besides the generated model. */
  public List<String> cSources() {
    return List.of("kiln_model.c", "kiln_weights.c", "main_semihost.c", startup());
  }

  /** Names of the files this board adds to the output directory. */
  public List<String> files() {
    return List.of(startup(), linkerScript(), "kiln_semihost.h", "main_semihost.c", makefile());
  }

  /** The board's files, name to content, in {@link #files()} order. */
  public Map<String, String> sources() {
    Map<String, String> out = new LinkedHashMap<>();
    String arch = core.riscv() ? "_riscv" : "";
    out.put(startup(), fill(CodegenResources.text("board/startup" + arch + ".c")));
    out.put(linkerScript(), fill(CodegenResources.text("board/board.ld")));
    out.put("kiln_semihost.h", CodegenResources.text("board/kiln_semihost" + arch + ".h"));
    out.put("main_semihost.c", fill(CodegenResources.text("board/main_semihost.c")));
    out.put(makefile(), fill(CodegenResources.text("board/Makefile.board")));
    return out;
  }

  /** Replaces the templates' {@code @NAME@} placeholders with this board's values. */
  private String fill(String template) {
    return template.replace("@BOARD@", id)
        .replace("@QEMU@", qemu())
        .replace("@MACHINE@", String.join(" ", qemuMachine()))
        .replace("@CROSS_COMPILE@", core.crossCompiler().replace("gcc", ""))
        .replace("@TOOLCHAIN@", core.riscv()
            ? "riscv64-unknown-elf-gcc with picolibc (Debian: gcc-riscv64-unknown-elf "
                + "picolibc-riscv64-unknown-elf)"
            : "arm-none-eabi-gcc with newlib (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi)")
        .replace("@TITLE@", title)
        .replace("@CORE@", core.id())
        .replace("@ARCH_FLAGS@", String.join(" ", core.gccFlags()))
        .replace("@FIRMWARE@", firmware)
        .replace("@DRIVER@", driver())
        .replace("@STARTUP@", startup())
        .replace("@LDSCRIPT@", linkerScript())
        .replace("@MAKEFILE@", makefile())
        .replace("@CODE_ORIGIN@", String.format(Locale.ROOT, "0x%08X", code.origin()))
        .replace("@CODE_LENGTH@", code.length())
        .replace("@CODE_WHAT@", code.what())
        .replace("@RESET_FETCH@", core.riscv() ? "the reset ROM jumps"
            : "the core fetches the vector table")
        .replace("@RAM_ORIGIN@", String.format(Locale.ROOT, "0x%08X", ram.origin()))
        .replace("@RAM_LENGTH@", ram.length())
        .replace("@RAM_WHAT@", ram.what());
  }

  private String stem() {
    return id.replace('-', '_');
  }

  /** The board called {@code id}; an unknown name is a user error listing the known ones. */
  public static Board named(String id) {
    String want = id.toLowerCase(Locale.ROOT);
    StringJoiner known = new StringJoiner(", ");
    for (Board b : values()) {
      if (b.id.equals(want)) {
        return b;
      }
      known.add(b.id);
    }
    throw new KilnException("unknown board '" + id + "' (known: " + known + ")");
  }
}
