package io.kiln.sim.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.target.Cpu.KernelKind;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cycle-model constants of one emulated core and the per-layer instruction counts they were
 * fitted to, as {@code bench/cpucycles.sh} writes them to {@code calibration.json}.
 *
 * @param core the calibration's name: {@code cortex-m3}, {@code cortex-m4}, {@code cortex-m4-dsp}
 *     or {@code rv32imc}
 * @param how the board, kernels and counter the measurements came from, for reports
 * @param constants the fitted cost of every kernel kind that was measured (the others are absent)
 * @param measurements the layers they were fitted to
 */
public record CpuCalibration(String core, String how, Map<KernelKind, Constants> constants,
    List<Measurement> measurements) {

  /** The resource the calibrations live in, beside this class. */
  public static final String RESOURCE = "calibration.json";

  public CpuCalibration {
    Map<KernelKind, Constants> c = new EnumMap<>(KernelKind.class);
    c.putAll(constants);
    constants = java.util.Collections.unmodifiableMap(c);
    measurements = List.copyOf(measurements);
  }

  /**
   * The fitted cost of one kernel kind:
   * {@code overheadCycles + cyclesPerUnit x work + cyclesPerOutput x output elements}. The
   * description's {@link io.kiln.target.Cpu.KernelCost} has no per-output term; the fit adds one
   * for the MAC and window kinds because a convolution pays its requantization and inner-loop
   * set-up per output, which a per-MAC constant alone charges wrongly when the depth changes.
   */
  public record Constants(double cyclesPerUnit, double cyclesPerOutput, long overheadCycles) {}

  /**
   * One layer's instruction count on the emulated core.
   *
   * @param layer the node's index in the model's graph after the default passes (the index
   *     {@code kiln compile} reports and names its {@code kiln_l<k>_} functions by)
   * @param work the units of work of the layer's kernel kind
   * @param outputs the elements of the layer's output
   */
  public record Measurement(String model, int layer, String op, String kernel, KernelKind kind,
      long work, long outputs, long instructions) {}

  /** The JSON key of {@link Constants#cyclesPerOutput}. */
  private static final String PER_OUTPUT = "cycles_per_output";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);
  private static volatile Map<String, CpuCalibration> loaded;

  /** Every calibration in the resource, by core name; empty when the resource is missing. */
  public static Map<String, CpuCalibration> all() {
    Map<String, CpuCalibration> m = loaded;
    if (m == null) {
      try (InputStream in = CpuCalibration.class.getResourceAsStream(RESOURCE)) {
        m = in == null ? Map.of() : parse(JSON.readTree(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + RESOURCE, e);
      }
      loaded = m;
    }
    return m;
  }

  /** Reads the calibrations of a {@code calibration.json} tree. */
  public static Map<String, CpuCalibration> parse(JsonNode root) {
    Map<String, CpuCalibration> out = new LinkedHashMap<>();
    root.path("cores").fields().forEachRemaining(e -> {
      JsonNode c = e.getValue();
      Map<KernelKind, Constants> constants = new EnumMap<>(KernelKind.class);
      for (KernelKind kind : KernelKind.values()) {
        JsonNode k = c.path("constants").path(kindName(kind));
        if (!k.isMissingNode()) {
          constants.put(kind, new Constants(k.path(kind.unit().yamlKey()).asDouble(),
              k.path(PER_OUTPUT).asDouble(), k.path("overhead_cycles").asLong()));
        }
      }
      List<Measurement> ms = new ArrayList<>();
      for (JsonNode m : c.path("measurements")) {
        ms.add(new Measurement(m.path("model").asText(), m.path("layer").asInt(),
            m.path("op").asText(), m.path("kernel").asText(), kindNamed(m.path("kind").asText()),
            m.path("work").asLong(), m.path("outputs").asLong(), m.path("instructions").asLong()));
      }
      out.put(e.getKey(), new CpuCalibration(e.getKey(), c.path("how").asText(), constants, ms));
    });
    return java.util.Collections.unmodifiableMap(out);
  }

  /** A kind's name in hardware files and here, e.g. {@code depthwise_conv2d}. */
  public static String kindName(KernelKind kind) {
    return kind.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The kind whose hardware-file name is {@code name}, e.g. {@code depthwise_conv2d}. */
  public static KernelKind kindNamed(String name) {
    for (KernelKind k : KernelKind.values()) {
      if (kindName(k).equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown kernel kind '" + name + "'");
  }

  /** The calibrations as {@code calibration.json}, with a note on how they were made. */
  public static String toJson(String method, List<CpuCalibration> cores) {
    ObjectNode root = JSON.createObjectNode();
    root.put("method", method);
    ObjectNode all = root.putObject("cores");
    for (CpuCalibration cal : cores) {
      ObjectNode c = all.putObject(cal.core());
      c.put("how", cal.how());
      ObjectNode consts = c.putObject("constants");
      cal.constants().forEach((kind, cost) -> {
        ObjectNode k = consts.putObject(kindName(kind)).put(kind.unit().yamlKey(),
            cost.cyclesPerUnit());
        if (kind.unit() != io.kiln.target.Cpu.WorkUnit.OUTPUT_ELEMENT) {
          k.put(PER_OUTPUT, cost.cyclesPerOutput());
        }
        k.put("overhead_cycles", cost.overheadCycles());
      });
      ArrayNode ms = c.putArray("measurements");
      for (Measurement m : cal.measurements()) {
        ms.addObject().put("model", m.model()).put("layer", m.layer()).put("op", m.op())
            .put("kernel", m.kernel()).put("kind", kindName(m.kind()))
            .put("work", m.work()).put("outputs", m.outputs())
            .put("instructions", m.instructions());
      }
    }
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
