package io.kiln.target;

import io.kiln.KilnException;
import io.kiln.target.Accelerator.ArrayDim;
import io.kiln.target.OpPattern.Unroll;
import io.kiln.target.TilingPolicy.Heuristic;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The parameters of the {@code systolic} preset
 * ({@code systolic:rows=128,cols=128,word=8,sram=32MiB,im2col=implicit,tiles=auto}), their
 * validation, and how they turn the default description in {@code systolic.yaml} into another
 * configuration.
 *
 * @param rows PE rows of the weight-stationary array; each is fed by its own SRAM array
 * @param cols PE columns (output channels computed at once)
 * @param word elements one SRAM array reads or writes per cycle (a power of two)
 * @param sramBytes the unified on-chip memory (all SRAM arrays together)
 * @param im2col how a convolution becomes GEMMs on the array
 * @param tiles decomposed-filter tiles loaded side by side on the rows; 0 means the default
 *     {@code min(rows / C_I, W_F)}
 */
public record SystolicParameters(int rows, int cols, int word, long sramBytes, Im2col im2col,
    int tiles) {

  /** The configuration {@code systolic.yaml} describes: a TPU-v2-like core. */
  public static final SystolicParameters DEFAULTS =
      new SystolicParameters(128, 128, 8, 32L * 1024 * 1024, Im2col.IMPLICIT, 0);

  /** How convolutions are fed to the array. */
  public enum Im2col {
    /** Channel-first (HWC) implicit im2col: decomposed 1x1 filters, strided address generation. */
    IMPLICIT,
    /** The lowered matrix materialized in on-chip memory (or streamed when it does not fit). */
    EXPLICIT,
    /** Implicit im2col over channel-last (CHW) words: strided reads waste word slots. */
    CHANNEL_LAST
  }

  /** The syntax, for listings and error messages. */
  public static String syntax() {
    return "rows=N,cols=N,word=1|2|4|8|..,sram=SIZE,im2col=implicit|explicit|channel_last,"
        + "tiles=auto|N";
  }

  /**
   * The smallest on-chip memory any tile fits: one weight tile of the array and one word per SRAM
   * array, each twice for double buffering, plus one row of int32 accumulators per column.
   */
  public long minimumSramBytes() {
    return 2L * rows * cols + 2L * rows * word + 4L * cols;
  }

  /** The number of decomposed-filter tiles for a layer with {@code c} input channels and filter width {@code wf}. */
  public int tilesFor(int c, int wf) {
    if (tiles > 0) {
      return tiles;
    }
    return Math.max(1, Math.min(rows / Math.max(1, c), wf));
  }

  /** Parses {@code rows=64,word=4}: any subset, any order; the rest keep their defaults. */
  public static SystolicParameters parse(String text) {
    int rows = DEFAULTS.rows;
    int cols = DEFAULTS.cols;
    int word = DEFAULTS.word;
    long sram = DEFAULTS.sramBytes;
    Im2col im2col = DEFAULTS.im2col;
    int tiles = DEFAULTS.tiles;
    Set<String> seen = new HashSet<>();
    for (String item : text.split(",", -1)) {
      String[] kv = item.split("=", -1);
      if (kv.length != 2 || kv[0].isBlank()) {
        throw bad("expected KEY=VALUE, got '" + item + "'");
      }
      String key = kv[0].strip().toLowerCase(Locale.ROOT);
      String value = kv[1].strip();
      if (!seen.add(key)) {
        throw bad("parameter '" + key + "' is given twice");
      }
      switch (key) {
        case "rows" -> rows = positive(key, value);
        case "cols" -> cols = positive(key, value);
        case "word" -> word = positive(key, value);
        case "sram" -> {
          String[] problem = new String[1];
          sram = Quantities.parseSize(value.replaceAll("([0-9])([A-Za-z])", "$1 $2"), problem)
              .orElseThrow(() -> bad("sram: " + problem[0]));
        }
        case "im2col" -> im2col = im2col(value);
        case "tiles" -> tiles = value.equalsIgnoreCase("auto") ? 0 : positive(key, value);
        default -> throw bad("unknown parameter '" + key
            + "' (allowed: rows, cols, word, sram, im2col, tiles)");
      }
    }
    SystolicParameters p = new SystolicParameters(rows, cols, word, sram, im2col, tiles);
    p.validate();
    return p;
  }

  /** Checks the fields against each other; each error names its field. */
  public void validate() {
    if (Integer.bitCount(word) != 1) {
      throw bad("word=" + word + " must be a power of two (elements per SRAM access)");
    }
    if (tiles > rows) {
      throw bad("tiles=" + tiles + " is more than the " + rows + " rows can hold");
    }
    if (sramBytes < minimumSramBytes()) {
      throw bad("sram=" + Quantities.formatSize(sramBytes).replace(" ", "")
          + " is too small for any tile: one " + rows + "x" + cols
          + " weight tile and one word per SRAM array, double-buffered, need "
          + minimumSramBytes() + " bytes");
    }
  }

  /**
   * The parameters of systolic unit {@code a} of description {@code hw}: rows and cols from its
   * array, sram from its L1 memory's size, word, im2col and tiles from its {@code systolic:} feed;
   * a unit without one has the default feed with the word its L1's bandwidth gives each row.
   */
  public static SystolicParameters of(HardwareDescription hw, Accelerator a) {
    int rows = a.arrayDim("rows").map(ArrayDim::size).orElse(1);
    int cols = a.arrayDim("cols").map(ArrayDim::size).orElse((int) a.arrayCells());
    MemoryLevel l1 = hw.memory(a.l1()).orElseThrow();
    SystolicFeed feed = a.systolic().orElseGet(() -> new SystolicFeed(Math.max(1, Integer.highestOneBit(
        (int) Math.max(1, l1.bandwidthBytesPerCycle() / rows))), SystolicFeed.DEFAULT.im2col(),
        SystolicFeed.DEFAULT.tiles()));
    return new SystolicParameters(rows, cols, feed.word(), l1.sizeBytes(), feed.im2col(), feed.tiles());
  }

  /** The feed part of these parameters, as an accelerator of a description carries it. */
  public SystolicFeed feed() {
    return new SystolicFeed(word, im2col, tiles);
  }

  /** {@code rows=128,cols=128,...}: every parameter, in a fixed order. */
  public String canonical() {
    return "rows=" + rows + ",cols=" + cols + ",word=" + word + ",sram="
        + Quantities.formatSize(sramBytes).replace(" ", "") + ",im2col="
        + im2col.name().toLowerCase(Locale.ROOT) + ",tiles=" + (tiles == 0 ? "auto" : tiles);
  }

  /** The preset's name for these parameters: plain {@code systolic} for the defaults. */
  public String presetName() {
    return equals(DEFAULTS) ? "systolic" : "systolic:" + canonical();
  }

  /** Derives this configuration from the default one ({@code systolic.yaml}). */
  HardwareDescription apply(HardwareDescription base) {
    List<MemoryLevel> memories = new ArrayList<>();
    for (MemoryLevel m : base.memories()) {
      memories.add(m.name().equals("sram")
          ? new MemoryLevel(m.name(), sramBytes, (double) rows * word, m.latencyCycles(),
              m.energyPjPerByte(), m.writable(), m.readers())
          : m);
    }
    List<Accelerator> accelerators = base.accelerators().stream().map(this::apply).toList();
    String description = base.description().replaceFirst("\\(.*\\)",
        "(" + canonical().replace(",", ", ") + ")");
    return new HardwareDescription(presetName(), description, base.clockHz(), memories,
        base.dmas(), base.cpu(), accelerators);
  }

  private Accelerator apply(Accelerator a) {
    List<OpPattern> patterns = new ArrayList<>();
    for (OpPattern p : a.patterns()) {
      patterns.add(p.withUnroll(p.unroll().stream()
          .map(u -> new Unroll(u.loops(), u.on(), u.on().equals("rows") ? rows : cols))
          .toList()));
    }
    List<Heuristic> heuristics = new ArrayList<>();
    for (Heuristic h : a.tiling().heuristics()) {
      heuristics.add(switch (h) {
        case Heuristic.MultipleOf m -> new Heuristic.MultipleOf(m.dim(),
            m.dim() == LoopDim.K ? cols : rows, m.weight());
        default -> h;
      });
    }
    TilingPolicy tiling = new TilingPolicy(a.tiling().alpha(), a.tiling().split(), heuristics);
    return new Accelerator(a.name(), a.kind(), (long) rows * cols,
        List.of(new ArrayDim("rows", rows), new ArrayDim("cols", cols)), a.layout(), a.l1(),
        a.weightMemory(), patterns, a.perCallOverheadCycles(), a.doubleBuffering(),
        a.energyPjPerMac(), tiling, a.weightLayout(), a.zeroPoints(), a.timing(),
        a.sparsity(), java.util.Optional.of(feed()));
  }

  private static int positive(String key, String value) {
    int v;
    try {
      v = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw bad(key + "='" + value + "' is not a whole number");
    }
    if (v < 1) {
      throw bad(key + "=" + v + " must be at least 1");
    }
    if (v > 4096) {
      throw bad(key + "=" + v + " is more than 4096");
    }
    return v;
  }

  private static Im2col im2col(String value) {
    for (Im2col m : Im2col.values()) {
      if (m.name().equalsIgnoreCase(value.replace('-', '_'))) {
        return m;
      }
    }
    throw bad("im2col='" + value + "' is not allowed (allowed: implicit, explicit, channel_last)");
  }

  private static KilnException bad(String problem) {
    return new KilnException("target systolic: " + problem + "; syntax: systolic:" + syntax());
  }
}
