package io.kiln.target;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kiln.target.Cpu.KernelCost;
import io.kiln.target.Cpu.KernelKind;
import io.kiln.target.OpPattern.Unroll;
import io.kiln.target.TilingPolicy.Heuristic;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a hardware description as the YAML that {@link HardwareLoader} reads, with every field
 * explicit (defaults included), so the output is a complete starting point for a user's file and
 * loads back to equal records.
 */
public final class HardwareWriter {
  private static final YAMLMapper MAPPER = YAMLMapper.builder(YAMLFactory.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
          .build())
      .build();

  private HardwareWriter() {}

  public static String toYaml(HardwareDescription hw) {
    try {
      return MAPPER.writeValueAsString(tree(hw));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, Object> tree(HardwareDescription hw) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", hw.name());
    if (!hw.description().isEmpty()) {
      m.put("description", hw.description());
    }
    m.put("clock", Quantities.formatFrequency(hw.clockHz()));
    m.put("memories", hw.memories().stream().map(HardwareWriter::memory).toList());
    m.put("dmas", hw.dmas().stream().map(HardwareWriter::dma).toList());
    m.put("cpu", cpu(hw.cpu()));
    m.put("accelerators", hw.accelerators().stream().map(HardwareWriter::accelerator).toList());
    return m;
  }

  private static Map<String, Object> memory(MemoryLevel mem) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", mem.name());
    m.putAll(memoryCosts(mem));
    m.put("writable", mem.writable());
    m.put("readers", mem.readers());
    if (mem.ports() > 0) {
      m.put("ports", mem.ports());
    }
    return m;
  }

  private static Map<String, Object> memoryCosts(MemoryLevel mem) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("size", size(mem.sizeBytes()));
    m.put("bandwidth_bytes_per_cycle", mem.bandwidthBytesPerCycle());
    m.put("latency_cycles", mem.latencyCycles());
    m.put("energy_pj_per_byte", mem.energyPjPerByte());
    return m;
  }

  private static Map<String, Object> dma(DmaEngine d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", d.name());
    m.put("from", d.from());
    m.put("to", d.to());
    m.put("bidirectional", d.bidirectional());
    m.put("bandwidth_bytes_per_cycle", d.bandwidthBytesPerCycle());
    m.put("setup_cycles", d.setupCycles());
    m.put("channels", d.channels());
    m.put("strided_dims", d.stridedDims());
    m.put("synchronous", d.synchronous());
    m.put("row_cycles", d.rowCycles());
    return m;
  }

  private static Map<String, Object> cpu(Cpu c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", c.name());
    m.put("isa", c.isa());
    m.put("extensions", c.extensions());
    m.put("cores", c.cores());
    m.put("simd_width_bits", c.simdWidthBits());
    m.put("clock", Quantities.formatFrequency(c.clockHz()));
    m.put("per_call_overhead_cycles", c.perCallOverheadCycles());
    m.put("energy_pj_per_cycle", c.energyPjPerCycle());
    if (c.core() != CpuCore.GENERIC) {
      m.put("core", c.core().id());
    }
    Map<String, Object> kernels = new LinkedHashMap<>();
    for (KernelKind kind : KernelKind.values()) {
      KernelCost cost = c.cost(kind);
      Map<String, Object> k = new LinkedHashMap<>();
      k.put(kind.unit().yamlKey(), cost.cyclesPerUnit());
      k.put("overhead_cycles", cost.overheadCycles());
      kernels.put(YamlFields.yamlName(kind), k);
    }
    m.put("kernels", kernels);
    return m;
  }

  private static Map<String, Object> accelerator(Accelerator a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", a.name());
    m.put("kind", YamlFields.yamlName(a.kind()));
    m.put("peak_macs_per_cycle", a.peakMacsPerCycle());
    Map<String, Object> array = new LinkedHashMap<>();
    a.array().forEach(d -> array.put(d.name(), d.size()));
    m.put("array", array);
    m.put("layout", YamlFields.yamlName(a.layout()));
    m.put("l1", a.l1());
    a.weightMemory().ifPresent(w -> m.put("memories", Map.of("weights", memoryCosts(w))));
    m.put("weight_layout", YamlFields.yamlName(a.weightLayout()));
    m.put("zero_points", YamlFields.yamlName(a.zeroPoints()));
    m.put("per_call_overhead_cycles", a.perCallOverheadCycles());
    m.put("double_buffering", a.doubleBuffering());
    m.put("energy_pj_per_mac", a.energyPjPerMac());
    m.put("patterns", a.patterns().stream().map(HardwareWriter::pattern).toList());
    m.put("tiling", tiling(a.tiling()));
    if (!a.timing().equals(ArrayTiming.STEPS)) {
      ArrayTiming t = a.timing();
      Map<String, Object> tm = new LinkedHashMap<>();
      tm.put("model", YamlFields.yamlName(t.model()));
      tm.put("cycles_per_reduction", t.perReduction());
      tm.put("cycles_per_row_load", t.perRowLoad());
      tm.put("cycles_per_block", t.perBlock());
      tm.put("cycles_per_output_group", t.perOutputGroup());
      tm.put("output_group", t.outputGroup());
      m.put("timing", tm);
    }
    a.systolic().ifPresent(sf -> {
      Map<String, Object> fm = new LinkedHashMap<>();
      fm.put("word", sf.word());
      fm.put("im2col", YamlFields.yamlName(sf.im2col()));
      fm.put("tiles", sf.tiles() == 0 ? (Object) "auto" : (Object) sf.tiles());
      m.put("systolic", fm);
    });
    if (a.sparsity().declared()) {
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("formats", a.sparsity().formats().stream().map(Object::toString).toList());
      sm.put("offset_bits", a.sparsity().offsetBits());
      sm.put("skip_zeros", a.sparsity().skipsZeros());
      m.put("sparsity", sm);
    }
    return m;
  }

  private static Map<String, Object> pattern(OpPattern p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", p.name());
    m.put("op", YamlFields.yamlName(p.op()));
    p.depthwise().ifPresent(d -> m.put("depthwise", YamlFields.yamlName(d)));
    List<Object> unroll = new ArrayList<>();
    for (Unroll u : p.unroll()) {
      Map<String, Object> um = new LinkedHashMap<>();
      um.put("loops", names(u.loops()));
      um.put("on", u.on());
      um.put("factor", u.factor());
      unroll.add(um);
    }
    m.put("unroll", unroll);
    if (p.op().hasWindow()) {
      m.put("kernel_sizes", intSet(p.kernelSizes()));
      m.put("strides", intSet(p.strides()));
      m.put("dilations", intSet(p.dilations()));
    }
    if (p.op().hasWeights()) {
      m.put("weights", names(p.weights()));
    }
    m.put("input_bits", p.inputBits());
    m.put("outputs", names(p.outputs()));
    m.put("requant", names(p.requant()));
    p.shiftRounding().ifPresent(r -> m.put("shift_rounding", YamlFields.yamlName(r)));
    m.put("output_bits", p.outputBits());
    m.put("activations", names(p.activations()));
    m.put("fuses", names(p.fuses()));
    p.maxInputChannels().ifPresent(c -> m.put("max_input_channels", c));
    p.maxOutputChannels().ifPresent(c -> m.put("max_output_channels", c));
    return m;
  }

  private static Map<String, Object> tiling(TilingPolicy t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("alpha", t.alpha());
    m.put("split", names(t.split()));
    List<Object> hs = new ArrayList<>();
    for (Heuristic h : t.heuristics()) {
      Map<String, Object> hm = new LinkedHashMap<>();
      switch (h) {
        case Heuristic.MultipleOf mo -> {
          hm.put("kind", YamlFields.yamlName(HardwareLoader.HeuristicKind.MULTIPLE_OF));
          hm.put("dim", mo.dim().name());
          hm.put("multiple", mo.multiple());
        }
        case Heuristic.Maximize mx -> {
          hm.put("kind", YamlFields.yamlName(HardwareLoader.HeuristicKind.MAXIMIZE));
          hm.put("dim", mx.dim().name());
        }
        case Heuristic.FillArray fa ->
            hm.put("kind", YamlFields.yamlName(HardwareLoader.HeuristicKind.FILL_ARRAY));
      }
      hm.put("weight", h.weight());
      hs.add(hm);
    }
    m.put("heuristics", hs);
    return m;
  }

  private static Object intSet(IntSet s) {
    return switch (s) {
      case IntSet.Any a -> "any";
      case IntSet.Range r -> r.min() + ".." + r.max();
      case IntSet.Values v -> v.values();
    };
  }

  private static Object size(long bytes) {
    String s = Quantities.formatSize(bytes);
    return s.indexOf(' ') < 0 ? (Object) bytes : s;
  }

  private static List<String> names(List<? extends Enum<?>> values) {
    return values.stream().map(YamlFields::yamlName).toList();
  }
}
