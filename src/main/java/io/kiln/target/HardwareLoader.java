package io.kiln.target;

import com.fasterxml.jackson.databind.JsonNode;
import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.target.Accelerator.ArrayDim;
import io.kiln.target.Cpu.KernelCost;
import io.kiln.target.Cpu.KernelKind;
import io.kiln.target.OpPattern.Unroll;
import io.kiln.target.TilingPolicy.Heuristic;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Loads a hardware description from YAML into validated records. Every error is one line naming
 * the file, the field path and the problem; fields that are not part of the format are errors,
 * so a typo cannot silently fall back to a default. {@link HardwareWriter} writes the same format.
 */
public final class HardwareLoader {
  /** The largest hardware file read, in bytes. */
  public static final int MAX_BYTES = BoundedYaml.MAX_BYTES;

  private HardwareLoader() {}

  /** Reads and validates a hardware file. */
  public static HardwareDescription load(Path file) {
    return fromTree(BoundedYaml.read(file, "hardware description"), file.toString());
  }

  /** Parses and validates YAML text; {@code source} names it in error messages. */
  public static HardwareDescription parse(String yaml, String source) {
    return fromTree(BoundedYaml.parse(yaml, source), source);
  }

  private static HardwareDescription fromTree(JsonNode root, String source) {
    try {
      YamlFields f = YamlFields.root(source, root);
      HardwareDescription hw = readDescription(f);
      f.done();
      validate(hw, f);
      return hw;
    } catch (KilnException e) {
      // Messages quote values from the file, which may hold line breaks: keep them one line.
      throw new KilnException(printable(e.getMessage()), e);
    }
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return b.toString();
  }



  private static HardwareDescription readDescription(YamlFields f) {
    String name = f.string("name");
    String description = f.string("description", "");
    long clock = f.frequency("clock");
    List<MemoryLevel> memories = f.objects("memories", HardwareLoader::readMemory);
    List<DmaEngine> dmas = f.has("dmas") ? f.objects("dmas", HardwareLoader::readDma) : List.of();
    YamlFields cpuFields = f.object("cpu");
    Cpu cpu = readCpu(cpuFields);
    cpuFields.done();
    List<Accelerator> accelerators = f.has("accelerators")
        ? f.objects("accelerators", HardwareLoader::readAccelerator) : List.of();
    return new HardwareDescription(name, description, clock, memories, dmas, cpu, accelerators);
  }

  private static MemoryLevel readMemory(YamlFields f) {
    return new MemoryLevel(f.string("name"), f.size("size"),
        f.number("bandwidth_bytes_per_cycle", true), f.integer("latency_cycles", 0),
        f.number("energy_pj_per_byte", false), f.bool("writable", true),
        f.stringList("readers", null), f.intValue("ports", 0, 0));
  }

  /** An accelerator's private memory: named after it, readable only by it. */
  private static MemoryLevel readPrivateMemory(YamlFields f, String owner, String role) {
    return new MemoryLevel(owner + "." + role, f.size("size"),
        f.number("bandwidth_bytes_per_cycle", true), f.integer("latency_cycles", 0),
        f.number("energy_pj_per_byte", false), true, List.of(owner));
  }

  private static DmaEngine readDma(YamlFields f) {
    return new DmaEngine(f.string("name"), f.string("from"), f.string("to"),
        f.number("bandwidth_bytes_per_cycle", true), f.integer("setup_cycles", 0),
        f.intValue("channels", 1, 1), f.bool("bidirectional", false),
        f.intValue("strided_dims", 1, 1), f.bool("synchronous", false), f.integer("row_cycles", 0, 0));
  }

  private static Cpu readCpu(YamlFields f) {
    String name = f.string("name");
    String isa = f.string("isa");
    List<String> extensions = f.stringList("extensions", List.of());
    int cores = f.intValue("cores", 1, 1);
    long simd = f.integer("simd_width_bits", 0, 0);
    if (simd % 8 != 0) {
      throw f.error("simd_width_bits", "must be a multiple of 8, got " + simd);
    }
    long clock = f.frequency("clock");
    long overhead = f.integer("per_call_overhead_cycles", 0);
    double energy = f.number("energy_pj_per_cycle", false);
    YamlFields k = f.object("kernels");
    Map<KernelKind, KernelCost> kernels = new EnumMap<>(KernelKind.class);
    for (KernelKind kind : KernelKind.values()) {
      String key = YamlFields.yamlName(kind);
      if (!k.has(key)) {
        continue;
      }
      YamlFields c = k.object(key);
      kernels.put(kind, new KernelCost(c.number(kind.unit().yamlKey(), true),
          c.integer("overhead_cycles", 0, 0)));
      c.done();
    }
    k.done();
    List<String> missing = new ArrayList<>();
    for (KernelKind kind : KernelKind.values()) {
      if (!kernels.containsKey(kind)) {
        missing.add(YamlFields.yamlName(kind));
      }
    }
    if (!missing.isEmpty()) {
      throw f.error("kernels", "missing cycle model for " + String.join(", ", missing)
          + " (every kernel kind needs one)");
    }
    CpuCore core = CpuCore.GENERIC;
    if (f.has("core")) {
      try {
        core = CpuCore.named(f.string("core"));
      } catch (KilnException e) {
        throw f.error("core", e.getMessage());
      }
    }
    return new Cpu(name, isa, extensions, cores, Math.toIntExact(simd), clock, overhead, energy,
        kernels, core);
  }

  private static Accelerator readAccelerator(YamlFields f) {
    String name = f.string("name");
    Accelerator.Kind kind = f.enumValue("kind", Accelerator.Kind.class);
    long peak = f.integer("peak_macs_per_cycle", 1);
    YamlFields arrayFields = f.object("array");
    List<ArrayDim> array = new ArrayList<>();
    for (String dim : arrayFields.keys()) {
      array.add(new ArrayDim(dim, Math.toIntExact(arrayFields.integer(dim, 1))));
    }
    if (array.isEmpty()) {
      throw f.error("array", "must name at least one dimension, e.g. {rows: 16, cols: 16}");
    }
    Layout layout = f.enumValue("layout", Layout.class);
    String l1 = f.string("l1");
    Optional<MemoryLevel> weights = Optional.empty();
    Optional<YamlFields> mems = f.optionalObject("memories");
    if (mems.isPresent()) {
      Optional<YamlFields> w = mems.get().optionalObject("weights");
      if (w.isPresent()) {
        weights = Optional.of(readPrivateMemory(w.get(), name, "weights"));
        w.get().done();
      }
      mems.get().done();
    }
    // An unroll without a factor uses its whole array dimension.
    List<OpPattern> patterns = f.objects("patterns", PatternLoader::read).stream()
        .map(p -> p.withUnroll(p.unroll().stream()
            .map(u -> u.factor() > 0 ? u : new Unroll(u.loops(), u.on(), array.stream()
                .filter(d -> d.name().equals(u.on())).mapToInt(ArrayDim::size).findFirst()
                .orElse(0)))
            .toList()))
        .toList();
    long overhead = f.integer("per_call_overhead_cycles", 0);
    boolean doubleBuffering = f.bool("double_buffering", false);
    double energy = f.number("energy_pj_per_mac", false);
    YamlFields t = f.object("tiling");
    TilingPolicy tiling = readTiling(t);
    t.done();
    // Optional: an accelerator that says nothing about its weights reads the model's order.
    WeightLayout weightLayout = f.enumValue("weight_layout", WeightLayout.class,
        WeightLayout.TFLITE);
    // Optional: without a word on zero points, the unit folds them into the bias (TFLite's math).
    Accelerator.ZeroPoints zeroPoints = f.enumValue("zero_points", Accelerator.ZeroPoints.class,
        Accelerator.ZeroPoints.FOLD);
    ArrayTiming timing = ArrayTiming.STEPS;
    Optional<YamlFields> tf = f.optionalObject("timing");
    if (tf.isPresent()) {
      timing = readTiming(tf.get());
      tf.get().done();
    }
    Optional<SystolicFeed> feed = Optional.empty();
    Optional<YamlFields> sf = f.optionalObject("systolic");
    if (sf.isPresent()) {
      if (kind != Accelerator.Kind.SYSTOLIC) {
        throw f.error("systolic", "only a unit of kind systolic has SRAM arrays to configure, this one is "
            + YamlFields.yamlName(kind));
      }
      feed = Optional.of(SystolicFields.read(sf.get()));
      sf.get().done();
    }
    // Optional: without a word on sparsity, the unit takes dense weights only.
    Sparsity sparsity = Sparsity.NONE;
    Optional<YamlFields> nm = f.optionalObject("sparsity");
    if (nm.isPresent()) {
      sparsity = SparsityLoader.read(nm.get());
      nm.get().done();
    }
    return new Accelerator(name, kind, peak, array, layout, l1, weights, patterns, overhead,
        doubleBuffering, energy, tiling, weightLayout, zeroPoints, timing, sparsity,
        feed);
  }

  /** The simulator's array timing ({@link ArrayTiming}); every constant defaults to 0. */
  private static ArrayTiming readTiming(YamlFields f) {
    return new ArrayTiming(f.enumValue("model", ArrayTiming.Model.class),
        f.number("cycles_per_reduction", false, 0), f.number("cycles_per_row_load", false, 0),
        f.number("cycles_per_block", false, 0), f.number("cycles_per_output_group", false, 0),
        f.intValue("output_group", 1, 1));
  }

  private static TilingPolicy readTiling(YamlFields f) {
    double alpha = f.number("alpha", false);
    if (!f.has("split")) {
      throw f.error("split", "missing field (the loops the tiler may cut, e.g. [K, C, OY, OX])");
    }
    List<LoopDim> split = f.enumList("split", LoopDim.class, null);
    List<Heuristic> heuristics = f.has("heuristics")
        ? f.objects("heuristics", HardwareLoader::readHeuristic) : List.of();
    return new TilingPolicy(alpha, split, heuristics);
  }

  /** The kinds of tiling heuristics, as the {@code kind:} field names them. */
  enum HeuristicKind {
    MULTIPLE_OF, MAXIMIZE, FILL_ARRAY
  }

  private static Heuristic readHeuristic(YamlFields f) {
    HeuristicKind kind = f.enumValue("kind", HeuristicKind.class);
    double weight = f.number("weight", false);
    return switch (kind) {
      case MULTIPLE_OF -> {
        LoopDim dim = f.enumValue("dim", LoopDim.class);
        long multiple = f.integer("multiple", 2);
        yield new Heuristic.MultipleOf(dim, Math.toIntExact(multiple), weight);
      }
      case MAXIMIZE -> new Heuristic.Maximize(f.enumValue("dim", LoopDim.class), weight);
      case FILL_ARRAY -> new Heuristic.FillArray(weight);
    };
  }

  /** The checks that need the whole description: names, references, reachability. */
  private static void validate(HardwareDescription hw, YamlFields f) {
    Set<String> units = new LinkedHashSet<>();
    units.add(hw.cpu().name());
    for (int i = 0; i < hw.accelerators().size(); i++) {
      String n = hw.accelerators().get(i).name();
      if (!units.add(n)) {
        throw f.errorAt("accelerators[" + i + "].name", "duplicate unit name '" + n + "'");
      }
    }
    if (hw.memories().isEmpty()) {
      throw f.error("memories", "must list at least one memory");
    }
    Set<String> memories = new LinkedHashSet<>();
    for (int i = 0; i < hw.memories().size(); i++) {
      MemoryLevel m = hw.memories().get(i);
      String at = "memories[" + i + "]";
      if (!memories.add(m.name())) {
        throw f.errorAt(at + ".name", "duplicate memory name '" + m.name() + "'");
      }
      if (m.readers().isEmpty()) {
        throw f.errorAt(at + ".readers", "must name at least one unit");
      }
      for (int r = 0; r < m.readers().size(); r++) {
        if (!units.contains(m.readers().get(r))) {
          throw f.errorAt(at + ".readers[" + r + "]", "unknown unit '" + m.readers().get(r)
              + "' (units: " + String.join(", ", units) + ")");
        }
      }
    }
    for (int i = 0; i < hw.accelerators().size(); i++) {
      Accelerator a = hw.accelerators().get(i);
      if (a.weightMemory().isPresent() && !memories.add(a.weightMemory().get().name())) {
        throw f.errorAt("accelerators[" + i + "].memories.weights", "memory name '"
            + a.weightMemory().get().name() + "' is already used by a shared memory");
      }
    }
    Set<String> dmaNames = new HashSet<>();
    for (int i = 0; i < hw.dmas().size(); i++) {
      DmaEngine d = hw.dmas().get(i);
      String at = "dmas[" + i + "]";
      if (!dmaNames.add(d.name())) {
        throw f.errorAt(at + ".name", "duplicate DMA name '" + d.name() + "'");
      }
      for (String end : List.of("from", "to")) {
        String mem = end.equals("from") ? d.from() : d.to();
        if (!memories.contains(mem)) {
          throw f.errorAt(at + "." + end, "unknown memory '" + mem + "' (memories: "
              + String.join(", ", memories) + ")");
        }
      }
      if (d.from().equals(d.to())) {
        throw f.errorAt(at + ".to", "a DMA must connect two different memories, got '"
            + d.to() + "' twice");
      }
      if (d.stridedDims() > 3) {
        throw f.errorAt(at + ".strided_dims", "must be 1, 2 or 3, got " + d.stridedDims());
      }
    }
    boolean cpuWritable = hw.memories().stream()
        .anyMatch(m -> m.writable() && m.readableBy(hw.cpu().name()));
    if (!cpuWritable) {
      throw f.error("memories", "no writable memory is readable by the CPU '" + hw.cpu().name()
          + "' (it needs one for activations)");
    }
    for (int i = 0; i < hw.accelerators().size(); i++) {
      validateAccelerator(hw, hw.accelerators().get(i), "accelerators[" + i + "]", f);
    }
  }

  private static void validateAccelerator(HardwareDescription hw, Accelerator a, String at,
      YamlFields f) {
    if (a.peakMacsPerCycle() > a.arrayCells()) {
      throw f.errorAt(at + ".peak_macs_per_cycle", a.peakMacsPerCycle() + " MACs/cycle is more "
          + "than the array's " + a.arrayCells() + " cells");
    }
    Optional<MemoryLevel> l1 = hw.memories().stream()
        .filter(m -> m.name().equals(a.l1())).findFirst();
    if (l1.isEmpty()) {
      throw f.errorAt(at + ".l1", "unknown memory '" + a.l1() + "' (memories: " + String.join(
          ", ", hw.memories().stream().map(MemoryLevel::name).toList()) + ")");
    }
    if (a.kind() == Accelerator.Kind.SYSTOLIC) {
      SystolicFields.validate(a, l1.get(), at, f);
    }
    if (!l1.get().readableBy(a.name()) || !l1.get().writable()) {
      throw f.errorAt(at + ".l1", "memory '" + a.l1() + "' must be writable and list '"
          + a.name() + "' among its readers");
    }
    // Data reaches the accelerator's memories either because the CPU shares them or by DMA.
    if (!l1.get().readableBy(hw.cpu().name())) {
      requireDma(hw, a.l1(), true, at + ".l1", f);
      requireDma(hw, a.l1(), false, at + ".l1", f);
    }
    if (a.weightMemory().isPresent()) {
      requireDma(hw, a.weightMemory().get().name(), true, at + ".memories.weights", f);
    }
    if (a.patterns().isEmpty()) {
      throw f.errorAt(at + ".patterns", "must list at least one pattern");
    }
    Set<String> names = new HashSet<>();
    for (int p = 0; p < a.patterns().size(); p++) {
      OpPattern pat = a.patterns().get(p);
      String patAt = at + ".patterns[" + p + "]";
      if (!names.add(pat.name())) {
        throw f.errorAt(patAt + ".name", "duplicate pattern name '" + pat.name() + "'");
      }
      if (pat.outputs().isEmpty()) {
        throw f.errorAt(patAt + ".outputs", "must list at least one output dtype");
      }
      if (pat.op().hasWeights() && pat.outputs().contains(DType.INT8) && pat.requant().isEmpty()) {
        throw f.errorAt(patAt + ".requant", "an int8 output needs a requantization scheme "
            + "(fixed_point or shift)");
      }
      Set<String> usedDims = new HashSet<>();
      Set<LoopDim> usedLoops = new HashSet<>();
      for (int u = 0; u < pat.unroll().size(); u++) {
        Unroll un = pat.unroll().get(u);
        String unAt = patAt + ".unroll[" + u + "]";
        Optional<ArrayDim> dim = a.arrayDim(un.on());
        if (dim.isEmpty()) {
          throw f.errorAt(unAt + ".on", "unknown array dimension '" + un.on() + "' (array: "
              + String.join(", ", a.array().stream().map(ArrayDim::name).toList()) + ")");
        }
        if (!usedDims.add(un.on())) {
          throw f.errorAt(unAt + ".on", "array dimension '" + un.on() + "' is already used by "
              + "another unroll of this pattern");
        }
        for (LoopDim l : un.loops()) {
          if (!usedLoops.add(l)) {
            throw f.errorAt(unAt + ".loops", "loop " + l + " is unrolled twice");
          }
        }
        if (un.factor() > dim.get().size()) {
          throw f.errorAt(unAt + ".factor", "must be at most the size of '" + un.on() + "' ("
              + dim.get().size() + "), got " + un.factor());
        }
      }
    }
    if (a.tiling().split().isEmpty()) {
      throw f.errorAt(at + ".tiling.split", "must name at least one loop");
    }
    if (a.weightLayout() == WeightLayout.CROSSBAR) {
      validateCrossbar(a, at, f);
    }
    // The job backend (host HAL, the simulator's job model) executes N:M tiles; the DLA's command
    // streams and the systolic engine do not.
    if (a.sparsity().declared() && a.kind() != Accelerator.Kind.DIGITAL_PE_ARRAY) {
      throw f.errorAt(at + ".sparsity", "N:M formats run on digital_pe_array units only, not "
          + YamlFields.yamlName(a.kind()));
    }
  }

  /**
   * A crossbar image holds one call's weights as the array does: the reduction on one array
   * dimension, the output channels alone on another. A pattern that runs kernel taps or input
   * channels as separate calls, or a depthwise one, has no such image.
   */
  private static void validateCrossbar(Accelerator a, String at, YamlFields f) {
    for (int p = 0; p < a.patterns().size(); p++) {
      OpPattern pat = a.patterns().get(p);
      if (!pat.op().hasWeights()) {
        continue;
      }
      String why = null;
      if (pat.op() == OpPattern.Op.DEPTHWISE_CONV2D) {
        why = "a depthwise pattern has no crossbar image (one filter per channel)";
      } else {
        Set<LoopDim> reduction = pat.op() == OpPattern.Op.CONV2D
            ? Set.of(LoopDim.C, LoopDim.FY, LoopDim.FX) : Set.of(LoopDim.C);
        boolean kAlone = pat.unroll().stream().anyMatch(u -> u.loops().equals(List.of(LoopDim.K)));
        boolean rows = pat.unroll().stream().anyMatch(u -> Set.copyOf(u.loops()).equals(reduction));
        if (!kAlone || !rows) {
          why = "crossbar needs K alone on one array dimension and " + reduction.stream()
              .sorted().map(LoopDim::name).toList() + " together on another";
        }
      }
      if (why != null) {
        throw f.errorAt(at + ".weight_layout", "crossbar does not fit pattern '" + pat.name()
            + "': " + why + " (use array_blocks or tflite)");
      }
    }
  }

  private static void requireDma(HardwareDescription hw, String memory, boolean in, String at,
      YamlFields f) {
    boolean found = hw.dmas().stream().anyMatch(d -> in
        ? d.to().equals(memory) || (d.bidirectional() && d.from().equals(memory))
        : d.from().equals(memory) || (d.bidirectional() && d.to().equals(memory)));
    if (!found) {
      throw f.errorAt(at, "no DMA moves data " + (in ? "into" : "out of") + " memory '" + memory
          + "' (add one under dmas)");
    }
  }
}
