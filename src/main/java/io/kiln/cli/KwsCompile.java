package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.codegen.cpu.KwsLibrary;
import io.kiln.ir.Graph;
import io.kiln.kws.Recognizer;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.report.CompileReport;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code kiln compile MODEL --frontend FRONTEND}: the keyword-spotting library of the pair. */
final class KwsCompile {
  private KwsCompile() {}

  /** The flags only a keyword-spotting compile reads. */
  static final class Flags {
    @Option(names = "--stride-ms", paramLabel = "MS", defaultValue = "20",
        description = "With --frontend: hop between front-end windows (default: ${DEFAULT-VALUE}).")
    int strideMs;

    @Option(names = "--sample-rate", paramLabel = "HZ", defaultValue = "16000",
        description = "With --frontend: the audio sample rate (default: ${DEFAULT-VALUE}).")
    int sampleRate;

    @Option(names = "--labels", paramLabel = "A,B,...", split = ",",
        defaultValue = "silence,unknown,yes,no",
        description = "With --frontend: class names in output order (default: ${DEFAULT-VALUE}).")
    List<String> labels;
  }

  static int run(CompileCommand c, Graph net, CodegenOptions options) {
    if (c.board != null || c.json != null) {
      throw new KilnException("--frontend does not combine with --board or --json yet");
    }
    if (c.kwsFlags.sampleRate < 1) {
      throw new KilnException("--sample-rate must be positive, got " + c.kwsFlags.sampleRate);
    }
    Graph fe = ModelSource.load(c.frontEnd);
    if (!c.noOpt) {
      fe = Pipeline.DEFAULT.apply(fe);
    }
    Recognizer.Settings r = Recognizer.MICRO_SPEECH;
    KwsLibrary.Settings s = new KwsLibrary.Settings(c.kwsFlags.sampleRate, c.kwsFlags.strideMs,
        c.kwsFlags.labels, r.averageWindowMs(), r.detectionThreshold(), r.suppressionMs(),
        r.minimumCount());
    List<String> files = KwsLibrary.generate(fe, net, s, options, c.outDir);
    CpuCodegen.Sources feSrc = CpuCodegen.emit(fe, options);
    CpuCodegen.Sources nnSrc = CpuCodegen.emit(net, options);
    PrintWriter out = c.spec.commandLine().getOut();
    out.printf("keyword-spotting library in %s (%d files; make -C %s builds kiln_kws FILE.wav)%n",
        c.outDir, files.size(), c.outDir);
    out.printf("  front-end %-28s arena %,7d B  state %,5d B  weights %,7d B%n", fe.name(),
        feSrc.arenaBytes(), CompileReport.stateBytes(fe), feSrc.weightBytes());
    out.printf("  network   %-28s arena %,7d B  state %,5d B  weights %,7d B%n", net.name(),
        nnSrc.arenaBytes(), CompileReport.stateBytes(net), nnSrc.weightBytes());
    out.flush();
    return 0;
  }
}
