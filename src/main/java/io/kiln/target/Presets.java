package io.kiln.target;

import io.kiln.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The built-in hardware descriptions: commented YAML resources under
 * {@code io/kiln/target/presets}, loaded through the same validating loader as users' files.
 */
public final class Presets {
  /** A preset as {@code kiln targets} lists it. */
  public record Preset(String name, String parameterSyntax, String description) {
    /** How to select it: {@code dla[:pe=64|128,...]}. */
    public String usage() {
      return parameterSyntax.isEmpty() ? name : name + "[:" + parameterSyntax + "]";
    }
  }

  private static final List<String> NAMES = List.of("cpu", "diana", "dla", "systolic");
  /** The parameter of the {@code cpu} preset: the core its code is generated for. */
  private static final String CPU_SYNTAX = "core=" + String.join("|",
      java.util.Arrays.stream(CpuCore.values()).map(CpuCore::id).toList());
  private static final Map<String, HardwareDescription> LOADED = new ConcurrentHashMap<>();

  private Presets() {}

  public static List<String> names() {
    return NAMES;
  }

  public static List<Preset> all() {
    return NAMES.stream().map(n -> new Preset(n, switch (n) {
      case "dla" -> DlaParameters.syntax();
      case "systolic" -> SystolicParameters.syntax();
      case "cpu" -> CPU_SYNTAX;
      default -> "";
    }, base(n).description())).toList();
  }

  /** Whether {@code spec} selects a preset ({@code diana}, {@code dla:pe=128}). */
  public static boolean isPreset(String spec) {
    return NAMES.contains(baseName(spec));
  }

  /** The preset {@code spec} selects, with its parameters applied. */
  public static HardwareDescription get(String spec) {
    String name = baseName(spec);
    if (!NAMES.contains(name)) {
      throw new KilnException("unknown preset '" + name + "' (presets: "
          + String.join(", ", NAMES) + ")");
    }
    int colon = spec.indexOf(':');
    if (colon < 0) {
      return base(name);
    }
    String params = spec.substring(colon + 1);
    if (name.equals("cpu")) {
      return cpuWithCore(params);
    }
    if (name.equals("systolic")) {
      SystolicParameters sp = SystolicParameters.parse(params);
      if (sp.equals(SystolicParameters.DEFAULTS)) {
        return base(name);
      }
      HardwareDescription derived = sp.apply(base(name));
      return HardwareLoader.parse(HardwareWriter.toYaml(derived), "preset " + derived.name());
    }
    if (!name.equals("dla")) {
      throw new KilnException("target " + name + ": this preset takes no parameters, got '"
          + params + "'");
    }
    DlaParameters p = DlaParameters.parse(params);
    if (p.equals(DlaParameters.DEFAULTS)) {
      return base(name);
    }
    // Write and reload the derived description so it passes the same validation as a file.
    HardwareDescription derived = p.apply(base(name));
    return HardwareLoader.parse(HardwareWriter.toYaml(derived), "preset " + derived.name());
  }

  /** {@code cpu:core=NAME}: the cpu preset generating code for that core. */
  private static HardwareDescription cpuWithCore(String params) {
    String p = params.strip();
    if (!p.startsWith("core=")) {
      throw new KilnException("target cpu: unknown parameter '" + p + "'; syntax: cpu:"
          + CPU_SYNTAX);
    }
    CpuCore core;
    try {
      core = CpuCore.named(p.substring("core=".length()));
    } catch (KilnException e) {
      throw new KilnException("target cpu: " + e.getMessage());
    }
    HardwareDescription b = base("cpu");
    if (core == CpuCore.GENERIC) {
      return b;
    }
    return new HardwareDescription(b.name(), b.description(), b.clockHz(), b.memories(),
        b.dmas(), b.cpu().withCore(core), b.accelerators());
  }

  /**
   * The commented YAML of a preset without parameters (the starting point for a user's file);
   * empty for parameterized ones, whose text is generated.
   */
  public static Optional<String> commentedYaml(String spec) {
    String name = baseName(spec);
    if (!NAMES.contains(name)) {
      return Optional.empty();
    }
    if (spec.contains(":") && !get(spec).equals(base(name))) {
      return Optional.empty();
    }
    return Optional.of(resource(name));
  }

  private static HardwareDescription base(String name) {
    return LOADED.computeIfAbsent(name,
        n -> HardwareLoader.parse(resource(n), "preset " + n + " (" + resourcePath(n) + ")"));
  }

  private static String baseName(String spec) {
    int colon = spec.indexOf(':');
    return colon < 0 ? spec : spec.substring(0, colon);
  }

  private static String resourcePath(String name) {
    return "io/kiln/target/presets/" + name + ".yaml";
  }

  private static String resource(String name) {
    try (InputStream in = Presets.class.getClassLoader().getResourceAsStream(
        resourcePath(name))) {
      if (in == null) {
        throw new IllegalStateException("preset resource missing: " + resourcePath(name));
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
