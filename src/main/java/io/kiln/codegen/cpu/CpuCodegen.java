package io.kiln.codegen.cpu;

import io.kiln.codegen.*;
import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import io.kiln.target.CpuCore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ahead-of-time C code generation for the CPU: turns an integer {@link Graph} into a small C
 * library (one run function calling a kernel specialized to each layer, a static arena, const
 * weights) plus a host driver and build files.
 */
public final class CpuCodegen {
  private CpuCodegen() {}

  /** Files that are the same for every model, copied from this package's resources. */
  private static final List<String> STATIC_FILES =
      List.of("kiln_runtime.h", "main_host.c", "Makefile", "CMakeLists.txt");
  /** The DSP-extension building blocks, emitted only for a core that has the extension. */
  static final String DSP_HEADER = "kiln_dsp.h";
  /** The Helium building blocks, emitted only for a Helium core. */
  static final String MVE_HEADER = "kiln_mve.h";

  /** The generated files (name to content, in a fixed order) and what the compile report needs. */
  public record Sources(Map<String, String> files, long arenaBytes, long weightBytes,
      List<CompileResult.Layer> layers) {}

  /**
   * Generates the library into {@code outDir}. Everything is generated in memory first, so an
   * unsupported operator leaves nothing behind; if writing fails, the files written are removed.
   */
  public static CompileResult generate(Graph graph, Path outDir, CodegenOptions options) {
    Sources s = emit(graph, options);
    GeneratedFiles.write(s.files(), outDir);
    return new CompileResult(outDir, List.copyOf(s.files().keySet()), s.arenaBytes(),
        s.weightBytes(), s.layers());
  }

  /** Generates every file in memory. */
  public static Sources emit(Graph graph, CodegenOptions options) {
    Verifier.verify(graph);
    return new Generator(graph, options).run();
  }

  /**
   * The CPU kernels of some nodes of {@code graph}, for a program whose storage another planner
   * decided: {@code where} gives the pointer expression of every activation those nodes read or
   * write. Backends of heterogeneous targets use it for the layers the CPU runs.
   *
   * @param functions the kernels' C definitions
   * @param calls the call statements of each node index (a Reshape's copy, or none, included)
   * @param weightsHeader {@code kiln_weights.h} declaring the constants the kernels read
   * @param weightsSource {@code kiln_weights.c} defining them
   * @param stateBytes the static state the kernels keep between runs ({@code KILN_STATE_BYTES})
   * @param reset the body of {@code kiln_reset}, which returns that state to its reset bytes
   * @param initialReset whether {@code kiln_run} must reset once before its first inference
   * @param layers the report row of each node, in order: its kernel and why (the sparse choice
   *     of an N:M layer included)
   */
  public record Kernels(String functions, Map<Integer, List<String>> calls, String weightsHeader,
      String weightsSource, long weightBytes, long stateBytes, String reset,
      boolean initialReset, List<CompileResult.Layer> layers) {

    public Kernels {
      layers = List.copyOf(layers);
    }
  }

  /**
   * See {@link Kernels}; {@code options} choose the kernels as for a CPU-only compile (the core's
   * family, {@code --sparse}). Its planner and board are not used: the caller owns the storage.
   */
  public static Kernels kernels(Graph graph, java.util.Set<Integer> nodes, Map<Integer, String> where,
      CodegenOptions options) {
    Verifier.verify(graph);
    Generator gen = new Generator(graph, options);
    gen.where.putAll(where);
    Map<Integer, List<String>> calls = new LinkedHashMap<>();
    List<Node> all = graph.nodes();
    for (int k = 0; k < all.size(); k++) {
      if (nodes.contains(k)) {
        int before = gen.calls.size();
        gen.emitLayer(k, all.get(k));
        calls.put(k, List.copyOf(gen.calls.subList(before, gen.calls.size())));
      }
    }
    CSource reset = new CSource();
    gen.state.emitReset(reset);
    return new Kernels(gen.layers.toString(), calls, gen.weights.header(), gen.weights.source(),
        gen.weights.bytes(), gen.state.bytes(), reset.toString(), gen.state.needsInitialReset(),
        gen.report);
  }

  /** One generation: storage decisions, per-layer code, then the files around it. */
  private static final class Generator {
    private final Graph graph;
    private final CodegenOptions options;
    private final Weights weights = new Weights();
    private final CSource layers = new CSource();
    private final List<String> calls = new ArrayList<>();
    private final List<CompileResult.Layer> report = new ArrayList<>();
    /** Pointer expression of each non-constant value. */
    private final Map<Integer, String> where = new HashMap<>();
    /** Pointer expressions the run function uses (to silence unused graph inputs). */
    private final java.util.Set<String> used = new java.util.HashSet<>();
    /** Static state (variable tensors, a noise estimate) kept across runs until kiln_reset. */
    private final StateBlock state = new StateBlock();
    private ArenaLayout layout;

    Generator(Graph graph, CodegenOptions options) {
      this.graph = graph;
      this.options = options;
    }

    /** Whether the core has the DSP extension (a Helium core has it too). */
    private boolean dspFamily() {
      return options.core().family().compareTo(CpuCore.KernelFamily.DSP) >= 0;
    }

    private boolean mve() {
      return options.core().family() == CpuCore.KernelFamily.MVE;
    }

    Sources run() {
      options.board().ifPresent(b -> {
        if (!b.core().runs(options.core())) {
          throw new KilnException("code for core " + options.core().id() + " does not run on "
              + "board " + b.id() + " (" + b.core().id() + ")");
        }
      });
      planStorage();
      List<Node> nodes = graph.nodes();
      UnsupportedLayers missing = new UnsupportedLayers();
      for (int k = 0; k < nodes.size(); k++) {
        try {
          emitLayer(k, nodes.get(k));
        } catch (UnsupportedLayers.Unsupported u) {
          missing.add(u);
        }
      }
      missing.throwIfAny();
      Map<String, String> files = new LinkedHashMap<>();
      files.put("kiln_model.h", header());
      files.put("kiln_model.c", model());
      files.put("kiln_weights.h", weights.header());
      files.put("kiln_weights.c", weights.source());
      for (String name : STATIC_FILES) {
        files.put(name, CodegenResources.text(name));
      }
      if (GraphFacts.usesSignalOps(graph)) {
        files.put("kiln_signal.h", CodegenResources.text("kiln_signal.h"));
      }
      if (dspFamily()) {
        files.put(DSP_HEADER, CodegenResources.text(DSP_HEADER));
      }
      if (mve()) {
        files.put(MVE_HEADER, CodegenResources.text(MVE_HEADER));
      }
      options.board().ifPresent(b -> files.putAll(b.sources()));
      return new Sources(files, layout.arenaBytes(), weights.bytes(), report);
    }

    /**
     * Graph inputs are read from the caller's buffers and each output is written straight into
     * the caller's output buffer when a kernel produces it; every other activation gets an
     * arena region from the planner.
     */
    private void planStorage() {
      List<Integer> ins = graph.inputs();
      for (int i = 0; i < ins.size(); i++) {
        where.putIfAbsent(ins.get(i), "in" + i);
      }
      Map<Integer, Node> producer = new HashMap<>();
      for (Node n : graph.nodes()) {
        for (int o : n.outputs()) {
          producer.put(o, n);
        }
      }
      List<Integer> outs = graph.outputs();
      for (int j = 0; j < outs.size(); j++) {
        int id = outs.get(j);
        Node p = producer.get(id);
        if (p != null && !(p.op() instanceof Op.Reshape) && !where.containsKey(id)) {
          where.put(id, "out" + j);
        }
      }
      List<Integer> arena = new ArrayList<>();
      for (Node n : graph.nodes()) {
        if (n.outputs().size() != 1) {
          throw new KilnException("the CPU target does not support " + n.op().opName()
              + " with " + n.outputs().size() + " outputs");
        }
        if (!where.containsKey(n.output())) {
          arena.add(n.output());
        }
      }
      layout = options.planner().plan(graph, List.copyOf(arena));
      for (int id : arena) {
        where.put(id, "(" + CSource.ctype(graph.type(id).dtype()) + " *)(kiln_arena.bytes + "
            + layout.offset(id) + ")");
      }
    }

    private String pointer(int valueId) {
      Value v = graph.value(valueId);
      String p = v.isConstant() ? weights.use(v) : where.get(valueId);
      used.add(p);
      return p;
    }

    private void emitLayer(int k, Node n) {
      Value out = graph.output(n);
      String shapes = GraphFacts.describe(graph, n);
      if (n.op() instanceof Op.Reshape) {
        String src = pointer(n.input(Op.Reshape.INPUT));
        String dst = pointer(out.id());
        calls.add("/* " + k + ": Reshape " + shapes + " */");
        if (!src.equals(dst)) {
          calls.add("memcpy(" + dst + ", " + src + ", " + out.type().bytes() + ");");
        }
        report.add(new CompileResult.Layer(k, "Reshape", out.shape().toString(), 0,
            arenaOffset(out.id()), out.type().bytes(), src.equals(dst) ? "alias" : "copy",
            src.equals(dst) ? "the output aliases the input" : "a copy between buffers", 0));
        return;
      }
      layers.line("/* Layer %d: %s %s */", k, n.op().opName(), shapes);
      LayerContext ctx = new LayerContext(graph, n, k, layers, weights, dspFamily());
      long macs = switch (n.op()) {
        case Op.Conv2D op -> f32(ctx) ? FloatConvEmitter.conv2d(ctx, op)
            : SparseChoice.emit(ctx, options, Op.Conv2D.FILTER, f -> dspFamily()
            ? DspSparseEmitter.conv2d(ctx, op, f) : SparseEmitter.conv2d(ctx, op, f),
            () -> ctx.in(Op.Conv2D.INPUT).dtype() == DType.INT16 ? Conv16x8Emitter.emit(ctx, op)
            : options.winograd() && WinogradEmitter.rejection(ctx, op).isEmpty()
            ? WinogradEmitter.emit(ctx, op) : !dsp(ctx, DspGemmEmitter.rejects(ctx, op))
            ? ConvEmitter.conv2d(ctx, op)
            : mve() ? MveGemmEmitter.conv2d(ctx, op) : DspGemmEmitter.conv2d(ctx, op));
        case Op.DepthwiseConv2D op -> f32(ctx) ? FloatConvEmitter.depthwise(ctx, op)
            : depthwise(ctx, op);
        case Op.FullyConnected op -> SparseChoice.emit(ctx, options, Op.FullyConnected.WEIGHTS,
            f -> SparseEmitter.fullyConnected(ctx, op, f),
            () -> ctx.in(Op.FullyConnected.INPUT).dtype() == DType.FLOAT32
            ? FloatFullyConnectedEmitter.emit(ctx, op) : !dsp(ctx, DspGemmEmitter.rejects(ctx, op))
            ? FullyConnectedEmitter.emit(ctx, op)
            : mve() ? MveGemmEmitter.fullyConnected(ctx, op)
            : DspGemmEmitter.fullyConnected(ctx, op));
        case Op.AveragePool2D op -> f32(ctx) ? FloatOpsEmitter.averagePool(ctx, op)
            : PoolEmitter.average(ctx, op);
        case Op.MaxPool2D op -> f32(ctx) ? FloatOpsEmitter.maxPool(ctx, op)
            : PoolEmitter.max(ctx, op);
        case Op.Add op -> plain(n)
            ? PlainOpsEmitter.binary(ctx, PlainOpsEmitter.Binary.ADD, op.act())
            : mve() && MveAddEmitter.rejects(ctx) == null ? MveAddEmitter.emit(ctx, op) : AddEmitter.emit(ctx, op);
        case Op.Softmax op -> f32(ctx) ? FloatOpsEmitter.softmax(ctx, op)
            : SoftmaxEmitter.emit(ctx, op);
        case Op.Quantize op -> RequantizeEmitter.handles(ctx, op)
            ? RequantizeEmitter.emit(ctx, op) : QuantizeEmitter.quantize(ctx, op);
        case Op.Dequantize op -> QuantizeEmitter.dequantize(ctx, op);
        case Op.Reshape op -> throw new AssertionError("handled above");
        case Op.TransposeConv op -> TransposeConvEmitter.emit(ctx, op);
        case Op.Mean op -> FloatOpsEmitter.mean(ctx, op);
        case Op.Sub op -> plain(n) ? PlainOpsEmitter.binary(ctx, PlainOpsEmitter.Binary.SUB, op.act())
            : AddEmitter.sub(ctx, op);
        case Op.Mul op -> plain(n) ? PlainOpsEmitter.binary(ctx, PlainOpsEmitter.Binary.MUL, op.act())
            : throwUnsupported(n, k);
        case Op.Pad op -> ShapeEmitter.pad(ctx, op);
        case Op.LeakyRelu op -> LeakyReluEmitter.emit(ctx, op);
        case Op.StridedSlice op -> ShapeEmitter.stridedSlice(ctx, op);
        case Op.Concatenation op -> PlainOpsEmitter.concatenation(ctx, op);
        case Op.Relu op -> FloatOpsEmitter.unary(ctx, FloatOpsEmitter.Unary.RELU);
        case Op.Relu6 op -> FloatOpsEmitter.unary(ctx, FloatOpsEmitter.Unary.RELU6);
        case Op.Logistic op -> FloatOpsEmitter.unary(ctx, FloatOpsEmitter.Unary.LOGISTIC);
        case Op.Tanh op -> FloatOpsEmitter.unary(ctx, FloatOpsEmitter.Unary.TANH);
        case Op.Transpose op -> ShapeEmitter.transpose(ctx, op);
        case Op.Div op -> PlainOpsEmitter.binary(ctx, PlainOpsEmitter.Binary.DIV, op.act());
        case Op.Maximum op -> PlainOpsEmitter.binary(ctx, PlainOpsEmitter.Binary.MAXIMUM,
            Op.Activation.NONE);
        case Op.Minimum op -> PlainOpsEmitter.binary(ctx, PlainOpsEmitter.Binary.MINIMUM,
            Op.Activation.NONE);
        case Op.Pow op -> throw unsupported(n, k);
        case Op.PRelu op -> PreluEmitter.emit(ctx, op);
        case Op.Clip op -> throw unsupported(n, k);
        case Op.HardSigmoid op -> throw unsupported(n, k);
        case Op.HardSwish op -> HardSwishEmitter.emit(ctx, op);
        case Op.Elu op -> throw unsupported(n, k);
        case Op.BatchNorm op -> throw unsupported(n, k);
        case Op.MatMul op -> BatchMatMulEmitter.matmul(ctx);
        case Op.Abs op -> throw unsupported(n, k);
        case Op.Neg op -> throw unsupported(n, k);
        case Op.Exp op -> throw unsupported(n, k);
        case Op.Log op -> throw unsupported(n, k);
        case Op.Sqrt op -> throw unsupported(n, k);
        case Op.Identity op -> throw unsupported(n, k);
        case Op.Cast op -> PlainOpsEmitter.cast(ctx);
        case Op.Signal op -> SignalEmitter.emit(ctx, op.kind(), state);
        case Op.Svdf op -> SvdfEmitter.emit(ctx, op, state);
        case Op.UnidirectionalLstm op -> LstmEmitter.emit(ctx, op, state);
        case Op.ShapeOf op -> IndexOpsEmitter.shape(ctx);
        case Op.Gather op -> IndexOpsEmitter.gather(ctx, op);
        case Op.Resize op -> IndexOpsEmitter.resize(ctx, op);
        case Op.BatchMatMul op -> BatchMatMulEmitter.emit(ctx, op);
      };
      StringBuilder call = new StringBuilder(ctx.function()).append('(');
      for (int id : ctx.paramValues()) {
        call.append(pointer(id)).append(", ");
      }
      calls.add(call.append(pointer(out.id())).append(");").toString());
      report.add(new CompileResult.Layer(k, n.op().opName(), out.shape().toString(), macs,
          arenaOffset(out.id()), out.type().bytes(), ctx.kernel(), ctx.kernelReason(),
          ctx.scratchBytes()));
    }

    /** Helium where it takes the layer, else the DSP kernel, else the portable one. */
    private long depthwise(LayerContext ctx, Op.DepthwiseConv2D op) {
      String noMve = null;
      if (mve()) {
        noMve = MveDepthwiseEmitter.rejects(ctx, op);
        if (noMve == null) {
          long macs = MveDepthwiseEmitter.depthwise(ctx, op);
          if (macs >= 0) {
            return macs;
          }
          noMve = "a requantization the vector form cannot do";
        }
      }
      long macs = dsp(ctx, DspDepthwiseEmitter.rejects(ctx, op))
          ? DspDepthwiseEmitter.depthwise(ctx, op) : ConvEmitter.depthwise(ctx, op);
      if (noMve != null) {
        ctx.kernel(ctx.kernel(), "the Helium kernel does not take " + noMve + "; "
            + ctx.kernelReason());
      }
      return macs;
    }

    /**
     * Whether the layer gets its DSP-extension kernel: the core has the extension and the
     * kernel takes the layer ({@code rejection} null); otherwise records why it runs plain C.
     */
    private boolean dsp(LayerContext ctx, String rejection) {
      if (!dspFamily()) {
        return false;
      }
      if (rejection != null) {
        ctx.kernel("plain-c", "the DSP kernel does not take " + rejection);
        return false;
      }
      return true;
    }

    private long arenaOffset(int id) {
      return layout != null && where.get(id).startsWith("(") ? layout.offset(id) : -1;
    }

    /** Whether {@code n}'s output is unquantized: plain C arithmetic (int32, float32) then. */
    private boolean plain(Node n) {
      return !graph.output(n).quant().isQuantized();
    }

    /** Whether the layer's first input is float32: the float kernel family takes it then. */
    private static boolean f32(LayerContext ctx) {
      return ctx.in(0).dtype() == DType.FLOAT32;
    }

    private static long throwUnsupported(Node n, int k) {
      throw unsupported(n, k);
    }

    private static KilnException unsupported(Node n, int k) {
      return new UnsupportedLayers.Unsupported(n.op().opName(), k, null);
    }

    private long stateBytes() {
      return state.bytes();
    }

    private String header() {
      CSource h = new CSource();
      h.line("/* Generated by Kiln from model \"%s\". The API of the generated library. */",
          CSource.commentSafe(graph.name()));
      h.line("#ifndef KILN_MODEL_H").line("#define KILN_MODEL_H").blank();
      h.line("#ifdef __cplusplus").line("extern \"C\" {").line("#endif").blank();
      ModelApi.ioMacros(h, graph);
      h.line("/* Bytes of the static activation arena (inputs and outputs live in the caller's");
      h.line("   buffers), and of the constant weights. */");
      h.line("#define KILN_ARENA_BYTES %d", layout.arenaBytes());
      h.line("#define KILN_WEIGHT_BYTES %d", weights.bytes());
      h.line("/* Bytes of state kept from one kiln_run to the next (e.g. an audio noise estimate). */");
      h.line("#define KILN_STATE_BYTES %d", stateBytes());
      h.blank();
      h.line("/* Runs one inference. inputs[i] and outputs[j] point to buffers of");
      h.line("   KILN_INPUTi_BYTES / KILN_OUTPUTj_BYTES bytes, suitably aligned for their element");
      h.line("   type and not overlapping. Not reentrant: the arena is static. Returns 0. */");
      h.line("int kiln_run(const void *const inputs[], void *const outputs[]);");
      h.blank().line("/* Returns the state (KILN_STATE_BYTES) to what it is before the first run. */");
      h.line("void kiln_reset(void);");
      if (graph.inputs().size() == 1 && graph.outputs().size() == 1) {
        h.blank().line("/* kiln_run for this single-input, single-output model. */");
        h.line("int kiln_run_single(const void *input, void *output);");
      }
      h.blank().line("#ifdef __cplusplus").line("}").line("#endif").blank();
      return h.line("#endif /* KILN_MODEL_H */").toString();
    }

    private String model() {
      CSource c = new CSource();
      c.line("/* Generated by Kiln from model \"%s\": one kernel per layer, specialized to it,",
          CSource.commentSafe(graph.name()));
      c.line("   and kiln_run calling them in order. */");
      c.line("#include <stdint.h>").line("#include <string.h>");
      if (GraphFacts.usesFloatMath(graph)) {
        c.line("#include <math.h>");
      }
      c.blank();
      c.line("#include \"kiln_model.h\"").line("#include \"kiln_runtime.h\"")
          .line("#include \"kiln_weights.h\"");
      if (GraphFacts.usesSignalOps(graph)) {
        c.line("#include \"kiln_signal.h\"");
      }
      if (dspFamily()) {
        c.line("#include \"%s\"", DSP_HEADER);
      }
      if (mve()) {
        c.line("#include \"%s\"", MVE_HEADER);
      }
      c.blank();
      if (layout.arenaBytes() > 0) {
        c.line("/* The static arena; the union aligns it for every element type. */");
        c.line("static union {").line("  int64_t align;");
        c.line("  uint8_t bytes[KILN_ARENA_BYTES];").line("} kiln_arena;").blank();
      }
      c.raw(layers.toString());
      // Outputs that no kernel wrote in place (reshapes, inputs, constants) are copied.
      List<String> copies = new ArrayList<>();
      for (int j = 0; j < graph.outputs().size(); j++) {
        int id = graph.outputs().get(j);
        String src = pointer(id);
        if (!src.equals("out" + j)) {
          copies.add("memcpy(out" + j + ", " + src + ", " + graph.type(id).bytes() + ");");
        }
      }
      if (state.needsInitialReset()) {
        c.line("/* Static storage starts at zero; some state resets to its zero point. */");
        c.line("static int kiln_state_ready;").blank();
      }
      c.open("int kiln_run(const void *const inputs[], void *const outputs[])");
      if (state.needsInitialReset()) {
        c.line("if (!kiln_state_ready) kiln_reset();");
      }
      for (int i = 0; i < graph.inputs().size(); i++) {
        String t = CSource.ctype(graph.value(graph.inputs().get(i)).dtype());
        c.line("const %s *in%d = (const %s *)inputs[%d];", t, i, t, i);
        if (!used.contains("in" + i)) {
          c.line("(void)in%d;", i);
        }
      }
      for (int j = 0; j < graph.outputs().size(); j++) {
        String t = CSource.ctype(graph.value(graph.outputs().get(j)).dtype());
        c.line("%s *out%d = (%s *)outputs[%d];", t, j, t, j);
      }
      for (String call : calls) {
        c.line(call);
      }
      for (String copy : copies) {
        c.line(copy);
      }
      c.line("return 0;");
      c.close();
      c.blank().open("void kiln_reset(void)");
      state.emitReset(c);
      if (state.needsInitialReset()) {
        c.line("kiln_state_ready = 1;");
      }
      c.close();
      if (graph.inputs().size() == 1 && graph.outputs().size() == 1) {
        c.blank();
        c.open("int kiln_run_single(const void *input, void *output)");
        c.line("const void *const inputs[1] = {input};");
        c.line("void *const outputs[1] = {output};");
        c.line("return kiln_run(inputs, outputs);");
        c.close();
      }
      return c.toString();
    }
  }

}
