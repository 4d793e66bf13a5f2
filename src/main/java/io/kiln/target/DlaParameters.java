package io.kiln.target;

import io.kiln.KilnException;
import io.kiln.target.Accelerator.ArrayDim;
import io.kiln.target.Accelerator.DepthwiseSupport;
import io.kiln.target.OpPattern.Unroll;
import io.kiln.target.TilingPolicy.Heuristic;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The parameters of the {@code dla} preset ({@code dla:pe=128,sram=1MiB,par=output,dw=native})
 * and how they turn the default description in {@code dla.yaml} into another configuration.
 *
 * @param pe processing elements (one int8 MAC each per cycle)
 * @param sramBytes the on-chip buffer that holds feature tiles and weights
 * @param parallelism which loop the PEs unroll for conv, fully-connected and matmul
 * @param depthwise how depthwise convolutions run
 */
public record DlaParameters(int pe, long sramBytes, Parallelism parallelism,
    DepthwiseSupport depthwise) {

  /** The configuration {@code dla.yaml} describes. */
  public static final DlaParameters DEFAULTS =
      new DlaParameters(64, 512 * 1024, Parallelism.OUTPUT, DepthwiseSupport.EMULATED);

  static final List<Integer> PE_VALUES = List.of(64, 128);
  static final Map<String, Long> SRAM_VALUES = Map.of(
      "512KiB", 512L * 1024, "1MiB", 1024L * 1024, "256MiB", 256L * 1024 * 1024);
  static final List<String> SRAM_ORDER = List.of("512KiB", "1MiB", "256MiB");

  /** Output-parallel PEs each compute another output channel; input-parallel ones reduce C. */
  public enum Parallelism {
    OUTPUT(LoopDim.K), INPUT(LoopDim.C);

    private final LoopDim unrolled;

    Parallelism(LoopDim unrolled) {
      this.unrolled = unrolled;
    }

    public LoopDim unrolled() {
      return unrolled;
    }
  }

  /** The syntax, for listings and error messages. */
  public static String syntax() {
    return "pe=" + join(PE_VALUES) + ",sram=" + String.join("|", SRAM_ORDER)
        + ",par=output|input,dw=emulated|native|unsupported";
  }

  /** Parses {@code pe=128,sram=1MiB}: any subset, any order; the rest keep their defaults. */
  public static DlaParameters parse(String text) {
    DlaParameters p = DEFAULTS;
    Map<String, String> seen = new LinkedHashMap<>();
    for (String item : text.split(",", -1)) {
      String[] kv = item.split("=", -1);
      if (kv.length != 2 || kv[0].isBlank()) {
        throw bad("expected KEY=VALUE, got '" + item + "'");
      }
      String key = kv[0].strip().toLowerCase(Locale.ROOT);
      String value = kv[1].strip();
      if (seen.put(key, value) != null) {
        throw bad("parameter '" + key + "' is given twice");
      }
      p = switch (key) {
        case "pe" -> {
          Integer pe = null;
          for (int v : PE_VALUES) {
            if (Integer.toString(v).equals(value)) {
              pe = v;
            }
          }
          if (pe == null) {
            throw badValue(key, value, join(PE_VALUES).replace("|", ", "));
          }
          yield new DlaParameters(pe, p.sramBytes, p.parallelism, p.depthwise);
        }
        case "sram" -> {
          Long bytes = SRAM_VALUES.get(value.replace(" ", ""));
          if (bytes == null) {
            throw badValue(key, value, String.join(", ", SRAM_ORDER));
          }
          yield new DlaParameters(p.pe, bytes, p.parallelism, p.depthwise);
        }
        case "par" -> new DlaParameters(p.pe, p.sramBytes,
            enumValue(key, value, Parallelism.class), p.depthwise);
        case "dw" -> new DlaParameters(p.pe, p.sramBytes, p.parallelism,
            enumValue(key, value, DepthwiseSupport.class));
        default -> throw bad("unknown parameter '" + key + "' (allowed: pe, sram, par, dw)");
      };
    }
    return p;
  }

  /** {@code pe=128,sram=1MiB,par=output,dw=native}: every parameter, in a fixed order. */
  public String canonical() {
    String sram = SRAM_ORDER.stream().filter(s -> SRAM_VALUES.get(s) == sramBytes).findFirst()
        .orElseThrow();
    return "pe=" + pe + ",sram=" + sram + ",par=" + YamlFields.yamlName(parallelism)
        + ",dw=" + YamlFields.yamlName(depthwise);
  }

  /** The preset's name for these parameters: plain {@code dla} for the defaults. */
  public String presetName() {
    return equals(DEFAULTS) ? "dla" : "dla:" + canonical();
  }

  /** Derives this configuration from the default one ({@code dla.yaml}). */
  HardwareDescription apply(HardwareDescription base) {
    List<MemoryLevel> memories = new ArrayList<>();
    for (MemoryLevel m : base.memories()) {
      memories.add(m.name().equals("sram")
          ? new MemoryLevel(m.name(), sramBytes, m.bandwidthBytesPerCycle(), m.latencyCycles(),
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
      switch (p.op()) {
        case CONV2D, FULLY_CONNECTED, MATMUL ->
            patterns.add(p.withUnroll(onPe(parallelism.unrolled())));
        case DEPTHWISE_CONV2D -> {
          if (depthwise == DepthwiseSupport.UNSUPPORTED) {
            continue;
          }
          // Native: one filter per channel, channels across the PEs. Emulated: the standard
          // conv's unrolling, run once per channel.
          LoopDim loop = depthwise == DepthwiseSupport.NATIVE ? LoopDim.C : parallelism.unrolled();
          OpPattern withMode = new OpPattern(p.name(), p.op(), onPe(loop), p.kernelSizes(),
              p.strides(), p.dilations(), Optional.of(depthwise), p.weights(),
              p.inputBits(), p.outputs(), p.requant(), p.activations(), p.fuses(),
              p.maxInputChannels(), p.maxOutputChannels(), p.shiftRounding(), p.outputBits());
          patterns.add(withMode);
        }
        default -> patterns.add(p.withUnroll(p.unroll().stream()
            .map(u -> new Unroll(u.loops(), u.on(), pe)).toList()));
      }
    }
    // Only output-parallel PEs care how K is cut; input-parallel ones unroll the uncut C.
    List<Heuristic> heuristics = parallelism == Parallelism.OUTPUT
        ? List.of(new Heuristic.MultipleOf(LoopDim.K, pe, heuristicWeight(a)))
        : List.of();
    TilingPolicy tiling = new TilingPolicy(a.tiling().alpha(), a.tiling().split(), heuristics);
    return new Accelerator(a.name(), a.kind(), pe, List.of(new ArrayDim("pe", pe)), a.layout(),
        a.l1(), a.weightMemory(), patterns, a.perCallOverheadCycles(), a.doubleBuffering(),
        a.energyPjPerMac(), tiling, a.weightLayout(), a.zeroPoints(), a.timing());
  }

  private static double heuristicWeight(Accelerator a) {
    return a.tiling().heuristics().stream().mapToDouble(Heuristic::weight).findFirst()
        .orElse(1000);
  }

  private List<Unroll> onPe(LoopDim loop) {
    return List.of(new Unroll(List.of(loop), "pe", pe));
  }

  private static <E extends Enum<E>> E enumValue(String key, String value, Class<E> type) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    throw badValue(key, value, String.join(", ",
        java.util.Arrays.stream(type.getEnumConstants()).map(YamlFields::yamlName).toList()));
  }

  private static KilnException badValue(String key, String value, String allowed) {
    return bad("parameter " + key + "='" + value + "' is not allowed (allowed: " + allowed + ")");
  }

  private static KilnException bad(String problem) {
    return new KilnException("target dla: " + problem + "; syntax: dla:" + syntax());
  }

  private static String join(List<Integer> values) {
    return String.join("|", values.stream().map(String::valueOf).toList());
  }
}
