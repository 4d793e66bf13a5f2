package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.codegen.dla.CommandStreams;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.isa.dla.Assembly;
import io.kiln.isa.dla.Encoding;
import io.kiln.isa.dla.Instruction;
import io.kiln.isa.dla.StreamCheck;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import io.kiln.target.Targets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln dla}: the DLA's command streams — generate them from a model, disassemble, assemble. */
@Command(name = "dla", mixinStandardHelpOptions = true,
    description = "The NVDLA-like accelerator's command streams (docs/dla-isa.md).",
    subcommands = {DlaCommand.Disasm.class, DlaCommand.Asm.class, DlaCommand.Streams.class,
        DlaCommand.Assemble.class})
public final class DlaCommand {
  private DlaCommand() {}

  static byte[] read(Path p) throws IOException {
    try {
      return Files.readAllBytes(p);
    } catch (NoSuchFileException e) {
      throw new KilnException("cannot read " + p + ": no such file");
    }
  }

  /** The memories of {@code hw} as streams number them (the simulator's and the HAL's order). */
  static List<MemoryLevel> memories(HardwareDescription hw) {
    return hw.allMemories();
  }

  /** The target, which must have an NVDLA-like unit. */
  static HardwareDescription dlaTarget(String target) {
    HardwareDescription hw = Targets.resolve(target);
    if (hw.accelerators().stream().noneMatch(a -> a.kind() == Accelerator.Kind.NVDLA)) {
      throw new KilnException(target + " has no NVDLA-like unit");
    }
    return hw;
  }

  /**
   * Writes the command stream of every DLA call of {@code planned} to {@code dir}/NAME.kdla, NAME
   * from the call's step index and the call; returns {streams, bytes}.
   */
  static long[] writeStreams(Planner.Planned planned, HardwareDescription hw, Path dir,
      java.util.function.BiFunction<Integer, Step.AcceleratorCall, String> name) throws IOException {
    Graph lowered = planned.plan().graph();
    List<String> names = memories(hw).stream().map(MemoryLevel::name).toList();
    Files.createDirectories(dir);
    long[] written = new long[2];
    List<Step> steps = planned.plan().steps();
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i) instanceof Step.AcceleratorCall c && c.unit().kind() == Accelerator.Kind.NVDLA) {
        byte[] bin = Encoding.encode(CommandStreams.of(lowered, c, names::indexOf));
        RunCommand.writeAtomically(dir.resolve(name.apply(i, c) + ".kdla"), bin);
        written[0]++;
        written[1] += bin.length;
      }
    }
    return written;
  }

  /** {@code kiln dla disasm FILE}: one instruction or register write a line. */
  @Command(name = "disasm", mixinStandardHelpOptions = true,
      description = "Print a binary command stream, one instruction a line with its byte offset.")
  static final class Disasm implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "A .kdla command stream.")
    Path file;

    @Option(names = "--target", paramLabel = "T",
        description = "Also check every DMA against this variant's memories (dla:sram=512KiB, ...).")
    String target;

    @Override
    public Integer call() throws IOException {
      byte[] bytes = read(file);
      List<Integer> offsets = new ArrayList<>();
      List<Instruction> stream = Encoding.decode(bytes, offsets);
      if (target != null) {
        List<MemoryLevel> m = memories(Targets.resolve(target));
        StreamCheck.check(stream, offsets, m.stream().map(MemoryLevel::name).toList(),
            m.stream().map(MemoryLevel::sizeBytes).toList());
      }
      spec.commandLine().getOut().print(Assembly.disassemble(bytes));
      return 0;
    }
  }

  /** {@code kiln dla asm TEXT -o FILE}. */
  @Command(name = "asm", mixinStandardHelpOptions = true, description = "Assemble a text stream into binary.")
  static final class Asm implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TEXT", description = "Assembly text (the disasm format).")
    Path text;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The .kdla to write.")
    Path output;

    @Override
    public Integer call() throws IOException {
      SimulateCommand.checkWritable(output);
      byte[] bin = Encoding.encode(Assembly.assemble(new String(read(text), StandardCharsets.UTF_8)));
      RunCommand.writeAtomically(output, bin);
      return 0;
    }
  }

  /** {@code kiln dla streams MODEL --target dla:... -o DIR}: one .kdla per DLA call. */
  @Command(name = "streams", mixinStandardHelpOptions = true,
      description = "Plan MODEL on a DLA variant and write the command stream of every accelerator call.")
  static final class Streams implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "An integer .tflite or .onnx model, or builtin:NAME.")
    String model;

    @Option(names = "--target", required = true, paramLabel = "T", description = "A DLA variant, e.g. dla:pe=128.")
    String target;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Directory to write.")
    Path dir;

    @Override
    public Integer call() throws IOException {
      HardwareDescription hw = dlaTarget(target);
      Graph g = Pipeline.DEFAULT.apply(ModelSource.load(model));
      PlanCommand.refuseFloatLayers(g, model, "plan");
      Planner.Planned planned = Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false,
          SolverKind.BNB));
      Graph lowered = planned.plan().graph();
      long[] written = writeStreams(planned, hw, dir, (i, c) -> String.format("%03d_%s", i,
          lowered.nodes().get(c.node()).op().opName().toLowerCase(java.util.Locale.ROOT)));
      int n = (int) written[0];
      long bytes = written[1];
      // The subgraphs, portable across variants: kiln dla assemble regenerates streams from them.
      RunCommand.writeAtomically(dir.resolve("subgraphs.json"), io.kiln.codegen.dla.Subgraphs.toJson(g,
          planned.plan(), model).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      spec.commandLine().getOut().printf("wrote %d command streams (%d B) and subgraphs.json to %s%n", n, bytes,
          dir);
      return 0;
    }
  }

  /** {@code kiln dla assemble SUBGRAPHS.json --target T -o DIR}: streams for another variant, without the model. */
  @Command(name = "assemble", mixinStandardHelpOptions = true,
      description = "Plan the subgraphs of a subgraphs.json (from 'kiln dla streams') for a DLA variant and write"
          + " their command streams.")
  static final class Assemble implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SUBGRAPHS", description = "A subgraphs.json written by kiln dla streams.")
    Path file;

    @Option(names = "--target", required = true, paramLabel = "T", description = "A DLA variant, e.g. dla:pe=128.")
    String target;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Directory to write.")
    Path dir;

    @Override
    public Integer call() throws IOException {
      HardwareDescription hw = dlaTarget(target);
      String json = new String(io.kiln.InputFiles.read(file, "subgraph file", 64L << 20),
          java.nio.charset.StandardCharsets.UTF_8);
      List<io.kiln.codegen.dla.Subgraphs.Subgraph> subgraphs = io.kiln.codegen.dla.Subgraphs.read(json,
          file.toString());
      int n = 0;
      for (io.kiln.codegen.dla.Subgraphs.Subgraph sg : subgraphs) {
        Planner.Planned planned = Planner.plan(sg.graph(), hw, new Planner.Options(Policy.defaultFor(hw), false,
            SolverKind.BNB));
        String name = String.format("%03d_%s", sg.index(), sg.kind().toLowerCase(java.util.Locale.ROOT));
        long[] written = writeStreams(planned, hw, dir, (i, c) -> name);
        boolean any = written[0] > 0;
        n += (int) written[0];
        if (!any) {
          String why = planned.plan().dispatch().layers().stream().flatMap(l -> l.rejections().stream())
              .map(r -> r.unit() + ": " + r.reason()).findFirst().orElse("no DLA pattern takes it");
          spec.commandLine().getOut().printf("subgraph %d (%s, %s) runs on the host on %s: %s%n", sg.index(),
              sg.kind(), sg.layer(), target, why);
        }
      }
      spec.commandLine().getOut().printf("wrote %d command streams for %s to %s%n", n, target, dir);
      return 0;
    }
  }
}
