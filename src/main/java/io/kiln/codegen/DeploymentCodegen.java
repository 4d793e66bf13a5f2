package io.kiln.codegen;

import io.kiln.KilnException;
import io.kiln.codegen.accel.Jobs;
import io.kiln.codegen.dla.CommandStreams;
import io.kiln.codegen.dla.DlaStreamSource;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import io.kiln.plan.deploy.Action;
import io.kiln.plan.deploy.DeploymentPlan;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.deploy.Region;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.weights.BlobLayout;
import io.kiln.plan.weights.LayerConstants;
import io.kiln.target.Accelerator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * C generation of a {@link DeploymentPlan}: every memory of the description as a sized array,
 * the CPU's layers through the CPU backend's kernels (reading and writing the arena in L2), each
 * accelerator call as tables of DMA descriptors, jobs and the host's program, run through the
 * HAL ({@code kiln_hal.h}), and weight blobs in their unit's layout, copied to their planned
 * addresses once. With {@code kiln_hal_host.c} the program runs on this machine.
 */
public final class DeploymentCodegen {
  private DeploymentCodegen() {}

  private static final List<String> STATIC_FILES =
      List.of("kiln_runtime.h", "kiln_hal.h", "kiln_hal_host.h", "kiln_hal_host.c", "kiln_hal_host_dla.c",
          "main_host.c");

  /** The generated files, name to text, in a fixed order, with the default CPU kernels. */
  public static Map<String, String> emit(DeploymentPlan plan) {
    return program(plan, CodegenOptions.defaults()).files();
  }

  /**
   * The generated program.
   *
   * @param files name to text, in a fixed order
   * @param cpuLayers the report row of each layer the CPU runs: its kernel and why
   */
  public record Program(Map<String, String> files, List<CompileResult.Layer> cpuLayers) {
    public Program {
      files = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
      cpuLayers = List.copyOf(cpuLayers);
    }
  }

  /**
   * The program whose CPU layers get the kernels {@code cpu} chooses, as a CPU-only compile with
   * those options would ({@code --sparse} decides N:M layers the same way). The kernels must be
   * portable C ({@link io.kiln.target.CpuCore.KernelFamily#PLAIN_C}): the host HAL runs the
   * program on this machine. The options' planner and board are not used: the plan owns storage.
   */
  public static Program program(DeploymentPlan plan, CodegenOptions cpu) {
    if (cpu.core().family() != io.kiln.target.CpuCore.KernelFamily.PLAIN_C || cpu.board().isPresent()) {
      throw new IllegalArgumentException("deployments take portable C kernels without a board, not "
          + cpu.core().id());
    }
    return new Generator(plan, cpu).run();
  }

  private static final class Generator {
    final DeploymentPlan plan;
    final Graph g;
    final List<String> memories = new ArrayList<>();
    final Map<String, Long> sizes = new LinkedHashMap<>();
    final List<Accelerator> units = new ArrayList<>();
    final CodegenOptions cpuOptions;

    Generator(DeploymentPlan plan, CodegenOptions cpuOptions) {
      this.plan = plan;
      this.cpuOptions = cpuOptions;
      this.g = plan.graph();
      plan.sharedExtents().forEach(this::memory);
      plan.localPeaks().forEach(this::memory);
      for (Step.AcceleratorCall c : plan.calls()) {
        if (!units.contains(c.unit())) {
          units.add(c.unit());
        }
      }
    }

    private void memory(String name, long bytes) {
      if (!memories.contains(name)) {
        memories.add(name);
      }
      sizes.merge(name, Math.max(bytes, 1), Math::max);
    }

    int memoryIndex(String name) {
      int i = memories.indexOf(name);
      if (i < 0) {
        throw new IllegalStateException("memory '" + name + "' is not part of the program");
      }
      return i;
    }

    String cname(String memory) {
      return "kiln_mem_" + memory.replaceAll("[^A-Za-z0-9_]", "_");
    }

    Program run() {
      String l2 = plan.arena().memory();
      Map<Integer, String> where = new LinkedHashMap<>();
      plan.values().forEach((id, r) -> where.put(id, "(" + CSource.ctype(g.value(id).dtype()) + " *)(" + cname(l2)
          + " + " + r.offset() + ")"));
      Set<Integer> cpu = new HashSet<>();
      for (Step s : plan.steps()) {
        if (s instanceof Step.CpuKernel k) {
          cpu.add(k.node());
        }
      }
      CpuCodegen.Kernels kernels = CpuCodegen.kernels(g, cpu, where, cpuOptions);

      CSource calls = new CSource();
      CSource blobs = new CSource();
      List<String> body = new ArrayList<>();
      for (Step s : plan.steps()) {
        switch (s) {
          case Step.CpuKernel k -> body.addAll(kernels.calls().get(k.node()));
          case Step.AcceleratorCall c -> {
            emitCall(calls, c);
            body.add("kiln_call_" + c.node() + "();");
          }
        }
      }
      List<String> init = new ArrayList<>();
      for (Step.AcceleratorCall c : plan.calls()) {
        if (c.blob().isPresent()) {
          Region r = c.blob().get();
          byte[] bytes = pack(c);
          int[] v = new int[bytes.length];
          for (int i = 0; i < v.length; i++) {
            v[i] = bytes[i] & 0xff;
          }
          blobs.line("/* Weight blob of node %d (%s), for %s at %s+%d. */", c.node(),
              CSource.commentSafe(c.blobLayout().get().describe()), c.unit().name(), r.memory(), r.offset());
          blobs.array("const uint8_t kiln_blob_" + c.node(), v);
          init.add("memcpy(" + cname(r.memory()) + " + " + r.offset() + ", kiln_blob_" + c.node() + ", "
              + bytes.length + ");");
        }
      }

      Map<String, String> files = new LinkedHashMap<>();
      files.put("kiln_model.h", header(kernels.stateBytes()));
      files.put("kiln_model.c", model(kernels, calls.toString(), body, init));
      files.put("kiln_memories.h", memoriesHeader());
      files.put("kiln_memories.c", memoriesSource());
      files.put("kiln_weights.h", kernels.weightsHeader() + blobDeclarations());
      files.put("kiln_weights.c", kernels.weightsSource() + "\n" + blobs);
      for (String f : STATIC_FILES) {
        files.put(f, CodegenResources.text(f));
      }
      files.put("Makefile", CodegenResources.text("Makefile.deploy"));
      return new Program(files, kernels.layers());
    }

    private byte[] pack(Step.AcceleratorCall c) {
      Node n = g.nodes().get(c.node());
      BlobLayout layout = c.blobLayout().get();
      // A lowered layer's records come from its prepared shift stage (shifts, folded bias).
      return layout.pack(LayerConstants.of(g, n, layout.params()));
    }

    private String blobDeclarations() {
      CSource h = new CSource();
      h.line("#include <stdint.h>");
      for (Step.AcceleratorCall c : plan.calls()) {
        if (c.blob().isPresent()) {
          h.line("extern const uint8_t kiln_blob_%d[];", c.node());
        }
      }
      return h.toString();
    }

    private void emitCall(CSource c, Step.AcceleratorCall call) {
      Node n = g.nodes().get(call.node());
      String name = "kiln_call_" + call.node();
      c.line("/* Node %d: %s on %s, %d tiles (%s). */", call.node(), n.op().opName(), call.unit().name(),
          call.jobs().size(), call.tiling());
      if (call.unit().kind() == Accelerator.Kind.NVDLA) {
        // The DLA runs its command stream (docs/dla-isa.md); the HAL submits it.
        DlaStreamSource.emit(c, name, unitMacro(call.unit()), CSource.commentSafe(n.op().opName() + " %"
            + n.output()), CommandStreams.of(g, call, this::memoryIndex));
        return;
      }
      List<DmaDescriptor> dmas = call.transfers();
      c.line("static const kiln_dma_desc %s_dma[%d] = {", name, Math.max(1, dmas.size()));
      for (DmaDescriptor d : dmas) {
        c.line("  {%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d}, /* %d: %s tile %d */", memoryIndex(d.src()),
            memoryIndex(d.dst()), d.srcAddr(), d.dstAddr(), d.run(), d.rows(), d.planes(), d.srcRowStride(),
            d.srcPlaneStride(), d.dstRowStride(), d.dstPlaneStride(), d.id(), d.kind(), d.tile());
      }
      if (dmas.isEmpty()) {
        c.line("  {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}");
      }
      c.line("};");
      List<Map<String, Long>> fields = call.jobs().stream().map(j -> Jobs.of(g, call, j, this::memoryIndex)).toList();
      if (fields.stream().anyMatch(f -> f.get("lut") == Jobs.LUT_TABLE)) {
        c.array("static const int8_t " + name + "_lut", Jobs.table(g, n));
      }
      c.line("static const kiln_job %s_jobs[%d] = {", name, call.jobs().size());
      for (TileJob j : call.jobs()) {
        Map<String, Long> f = fields.get(j.tile());
        StringBuilder sb = new StringBuilder("  {");
        boolean first = true;
        for (Map.Entry<String, Long> e : f.entrySet()) {
          long v = e.getValue();
          String text = e.getKey().equals("lut") ? (v == Jobs.LUT_TABLE ? name + "_lut" : "0") : CSource.intLiteral(v);
          sb.append(first ? "" : ", ").append(text);
          first = false;
        }
        c.line("%s}, /* tile %d */", sb, j.tile());
      }
      c.line("};");
      List<Integer> waits = new ArrayList<>();
      List<int[]> prog = new ArrayList<>();
      for (Action a : call.program()) {
        switch (a) {
          case Action.Start s -> prog.add(new int[] {0, s.dma().id(), s.dma().tile()});
          case Action.Wait w -> {
            prog.add(new int[] {1, waits.size(), w.ids().size()});
            waits.addAll(w.ids());
          }
          case Action.Run r -> prog.add(new int[] {2, r.tile(), 0});
        }
      }
      c.line("static const uint16_t %s_waits[%d] = {%s};", name, Math.max(1, waits.size()),
          waits.isEmpty() ? "0" : String.join(", ", waits.stream().map(String::valueOf).toList()));
      c.line("static const kiln_action %s_program[%d] = {", name, prog.size());
      for (int[] p : prog) {
        c.line("  {%d, %d, %d},", p[0], p[1], p[2]);
      }
      c.line("};");
      c.open("static void %s(void)", name);
      c.line("kiln_run_program(KILN_UNIT_%s, \"%s\", %s_dma, %s_jobs, %s_waits, %s_program, %d);",
          unitMacro(call.unit()), CSource.commentSafe(n.op().opName() + " %" + n.output()), name, name, name, name,
          prog.size());
      c.close().blank();
    }

    private String unitMacro(Accelerator a) {
      return a.name().toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9_]", "_");
    }

    private String memoriesHeader() {
      CSource h = new CSource();
      h.line("/* Generated by Kiln: the memories of target %s and the units that run jobs. */",
          CSource.commentSafe(plan.hardware().name()));
      h.line("#ifndef KILN_MEMORIES_H").line("#define KILN_MEMORIES_H").blank().line("#include <stdint.h>").blank();
      for (int i = 0; i < memories.size(); i++) {
        String m = memories.get(i);
        h.line("#define KILN_MEM_%s %d", m.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9_]", "_"), i);
        h.line("#define KILN_MEM_%s_BYTES %d", m.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9_]", "_"),
            sizes.get(m));
        h.line("extern uint8_t %s[];", cname(m));
      }
      for (int i = 0; i < units.size(); i++) {
        h.line("#define KILN_UNIT_%s %d", unitMacro(units.get(i)), i);
      }
      return h.blank().line("#endif /* KILN_MEMORIES_H */").toString();
    }

    private String memoriesSource() {
      CSource c = new CSource();
      c.line("/* Generated by Kiln: each memory the program uses, as many bytes as the plan reaches in it");
      c.line("   (the description's capacity bounds them; the plan checker verified that). */");
      c.line("#include \"kiln_hal.h\"").line("#include \"kiln_memories.h\"").blank();
      for (String m : memories) {
        c.line("/* %s, aligned for every element type a kernel reads there */", CSource.commentSafe(m));
        c.line("uint8_t %s[%d] __attribute__((aligned(16)));", cname(m), sizes.get(m));
      }
      c.blank().line("const kiln_memory kiln_memories[] = {");
      for (String m : memories) {
        c.line("  {\"%s\", %s, %d},", CSource.commentSafe(m), cname(m), sizes.get(m));
      }
      c.line("};").line("const int kiln_memory_count = %d;", memories.size());
      return c.toString();
    }

    private String header(long stateBytes) {
      CSource h = new CSource();
      h.line("/* Generated by Kiln from model \"%s\" for target %s. The API of the generated library. */",
          CSource.commentSafe(g.name()), CSource.commentSafe(plan.hardware().name()));
      h.line("#ifndef KILN_MODEL_H").line("#define KILN_MODEL_H").blank();
      h.line("#ifdef __cplusplus").line("extern \"C\" {").line("#endif").blank();
      ModelApi.ioMacros(h, g);
      h.line("/* The activation arena, at offset 0 of memory %s (inputs and outputs included). */",
          CSource.commentSafe(plan.arena().memory()));
      h.line("#define KILN_ARENA_BYTES %d", plan.arena().bytes());
      h.line("/* Bytes of state kept from one kiln_run to the next (e.g. an LSTM's hidden state). */");
      h.line("#define KILN_STATE_BYTES %d", stateBytes);
      h.blank();
      h.line("/* Runs one inference; copies the inputs into the arena and the outputs out of it. Not");
      h.line("   reentrant: the memories are static. Returns 0. */");
      h.line("int kiln_run(const void *const inputs[], void *const outputs[]);");
      h.blank().line("/* Returns the state (KILN_STATE_BYTES) to what it is before the first run. */");
      h.line("void kiln_reset(void);");
      h.blank().line("#ifdef __cplusplus").line("}").line("#endif").blank();
      return h.line("#endif /* KILN_MODEL_H */").toString();
    }

    private String model(CpuCodegen.Kernels kernels, String calls, List<String> body,
        List<String> init) {
      CSource c = new CSource();
      c.line("/* Generated by Kiln from model \"%s\" for target %s: the CPU's layers as kernels, each",
          CSource.commentSafe(g.name()), CSource.commentSafe(plan.hardware().name()));
      c.line("   accelerator layer as DMA descriptors, jobs and the host's program, run through kiln_hal.h. */");
      c.line("#include <stdint.h>").line("#include <string.h>").line("#include <math.h>").blank();
      c.line("#include \"kiln_model.h\"").line("#include \"kiln_runtime.h\"").line("#include \"kiln_hal.h\"")
          .line("#include \"kiln_memories.h\"").line("#include \"kiln_weights.h\"").blank();
      c.line("/* One step of an accelerator call's program: 0 starts DMA a (of tile b), 1 waits for the b");
      c.line("   transfers listed from a in its wait list, 2 runs the job of tile a. */");
      c.line("typedef struct { uint8_t op; uint16_t a; uint16_t b; } kiln_action;").blank();
      c.open((plan.calls().stream().allMatch(x -> x.unit().kind() == Accelerator.Kind.NVDLA)
          ? "__attribute__((unused)) " : "") + "static void kiln_run_program(int unit, const char *layer, const kiln_dma_desc *dma, "
          + "const kiln_job *jobs, const uint16_t *waits, const kiln_action *program, int steps)");
      c.line("int handles[%d];", Math.max(1, maxTransfers()));
      c.open("for (int i = 0; i < steps; ++i)");
      c.line("const kiln_action *s = &program[i];");
      c.line("kiln_where at = {layer, s->op == 2 ? s->a : s->op == 0 ? s->b : -1};");
      c.open("if (s->op == 0)");
      c.line("handles[s->a] = kiln_dma_start(&dma[s->a], at);");
      c.close();
      c.open("else if (s->op == 1)");
      c.open("for (int w = 0; w < s->b; ++w)");
      c.line("kiln_dma_wait(handles[waits[s->a + w]]);");
      c.close();
      c.close();
      c.open("else");
      c.line("kiln_job_submit(unit, &jobs[s->a], at);");
      c.line("kiln_job_wait(unit);");
      c.close();
      c.close();
      c.close().blank();
      c.raw(kernels.functions());
      c.blank();
      c.raw(calls);
      if (kernels.initialReset()) {
        c.line("/* Static storage starts at zero; some state resets to its zero point. */");
        c.line("static int kiln_state_ready;").blank();
      }
      c.open("int kiln_run(const void *const inputs[], void *const outputs[])");
      if (kernels.initialReset()) {
        c.line("if (!kiln_state_ready) kiln_reset();");
      }
      c.line("static int loaded;");
      c.open("if (!loaded)");
      c.line("/* The weight blobs, once, at their planned addresses (a boot loader's job on a SoC). */");
      for (String s : init) {
        c.line(s);
      }
      c.line("loaded = 1;");
      c.close();
      String l2 = cname(plan.arena().memory());
      for (int i = 0; i < g.inputs().size(); i++) {
        int id = g.inputs().get(i);
        c.line("memcpy(%s + %d, inputs[%d], %d);", l2, plan.values().get(id).offset(), i, g.value(id).type().bytes());
      }
      for (String s : body) {
        c.line(s);
      }
      for (int j = 0; j < g.outputs().size(); j++) {
        int id = g.outputs().get(j);
        Region r = plan.values().get(id);
        if (r == null) {
          throw new KilnException("output " + j + " of " + g.name() + " is not in the arena");
        }
        c.line("memcpy(outputs[%d], %s + %d, %d);", j, l2, r.offset(), g.value(id).type().bytes());
      }
      c.line("return 0;");
      c.close();
      c.blank().open("void kiln_reset(void)");
      kernels.reset().lines().forEach(c::line);
      if (kernels.initialReset()) {
        c.line("kiln_state_ready = 1;");
      }
      c.close();
      return c.toString();
    }

    private int maxTransfers() {
      return plan.calls().stream().mapToInt(c -> c.transfers().size()).max().orElse(1);
    }
  }
}
