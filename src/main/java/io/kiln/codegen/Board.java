package io.kiln.codegen;

import io.kiln.KilnException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A bare-metal board the CPU target can build for: besides the C library and the host driver,
 * a compile for a board emits that board's start-up code, linker script, driver and makefile.
 */
public enum Board {
  /**
   * Arm MPS2 with the AN385 FPGA image (Cortex-M3), as QEMU's {@code mps2-an385} models it:
   * inputs and outputs go through semihosting, {@code make -f Makefile.mps2-an385} builds
   * {@code kiln_mps2.elf}.
   */
  MPS2_AN385("mps2-an385", "Makefile.mps2-an385", "kiln_mps2.elf",
      List.of("startup_mps2_an385.c", "mps2_an385.ld", "kiln_semihost.h", "main_semihost.c",
          "Makefile.mps2-an385"));

  private final String id;
  private final String makefile;
  private final String firmware;
  private final List<String> files;

  Board(String id, String makefile, String firmware, List<String> files) {
    this.id = id;
    this.makefile = makefile;
    this.firmware = firmware;
    this.files = files;
  }

  /** The name the CLI takes, e.g. {@code mps2-an385}. */
  public String id() {
    return id;
  }

  /** The makefile (among {@link #files()}) whose default target builds {@link #firmware()}. */
  public String makefile() {
    return makefile;
  }

  /** The file the board's makefile builds. */
  public String firmware() {
    return firmware;
  }

  /** Names of the files this board adds to the output directory. */
  public List<String> files() {
    return files;
  }

  /** The board's files, name to content, in {@link #files()} order. */
  public Map<String, String> sources() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String f : files) {
      out.put(f, CodegenResources.text("board/" + id + "/" + f));
    }
    return out;
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
