package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.sweep.Sweep;
import io.kiln.sweep.SweepReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln sweep}: plan and simulate a model on every point of a parameterized preset's design space. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
    description = "Plan and simulate MODEL on the cross product of a preset's parameters, in parallel.")
public final class SweepCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "An integer .tflite or .onnx model, or builtin:NAME.")
  String model;

  @Option(names = "--target", required = true, paramLabel = "PRESET",
      description = "A parameterized preset (dla, diana, or with fixed parameters: dla:pe=128).")
  String target;

  @Option(names = "--vary", required = true, paramLabel = "NAME=V1,V2", description = "A parameter and its values.")
  List<String> vary;

  @Option(names = "--jobs", paramLabel = "N", description = "Points simulated at once (default: all cores).")
  Integer jobs;

  @Option(names = "--csv", paramLabel = "FILE", description = "Write the table as CSV.")
  Path csv;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON.")
  Path json;

  @Option(names = "--html", paramLabel = "FILE", description = "Write an HTML page with the charts.")
  Path html;

  @Option(names = "--svg", paramLabel = "PREFIX", description = "Write PREFIX-bars.svg and PREFIX-pareto.svg.")
  String svg;

  @Override
  public Integer call() throws IOException {
    for (Path p : new Path[] {csv, json, html}) {
      SimulateCommand.checkWritable(p);
    }
    if (svg != null) {
      SimulateCommand.checkWritable(Path.of(svg + "-bars.svg"));
    }
    int n = jobs == null ? Runtime.getRuntime().availableProcessors() : jobs;
    if (n < 1) {
      throw new KilnException("--jobs must be at least 1");
    }
    List<Sweep.Vary> vs = vary.stream().map(Sweep.Vary::parse).toList();
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(model));
    PlanCommand.refuseFloatLayers(g, model, "sweep");
    int total = Sweep.points(vs).size();
    PrintWriter err = spec.commandLine().getErr();
    boolean tty = System.console() != null;
    Sweep.Progress progress = new Sweep.Progress(total);
    long t0 = System.nanoTime();
    List<Sweep.Result> rs = Sweep.run(g, target, vs, n, r -> {
      int done = progress.next();
      synchronized (err) {
        if (tty) {
          int filled = done * 30 / total;
          err.printf("\r[%s%s] %d/%d %s", "#".repeat(filled), " ".repeat(30 - filled), done, total,
              done == total ? "\n" : "");
        } else {
          err.printf("[%d/%d] %s%s%n", done, total, r.target(), r.error().map(e -> ": cannot be planned: " + e)
              .orElse(": " + r.cycles() + " cycles"));
        }
        err.flush();
      }
    });
    PrintWriter out = spec.commandLine().getOut();
    out.print(SweepReport.table(rs));
    out.printf("%d points in %.1f s on %d threads%n", total, (System.nanoTime() - t0) / 1e9, n);
    out.flush();
    if (csv != null) {
      RunCommand.writeAtomically(csv, SweepReport.csv(rs).getBytes(StandardCharsets.UTF_8));
    }
    if (json != null) {
      RunCommand.writeAtomically(json, SweepReport.json(rs).getBytes(StandardCharsets.UTF_8));
    }
    if (html != null) {
      RunCommand.writeAtomically(html, SweepReport.html(rs, g.name()).getBytes(StandardCharsets.UTF_8));
    }
    if (svg != null) {
      RunCommand.writeAtomically(Path.of(svg + "-bars.svg"), SweepReport.barsSvg(rs,
          g.name() + ": accelerated cycles by subgraph kind").getBytes(StandardCharsets.UTF_8));
      RunCommand.writeAtomically(Path.of(svg + "-pareto.svg"), SweepReport.paretoSvg(rs,
          g.name() + ": cycles against on-chip memory (Pareto front in red)").getBytes(StandardCharsets.UTF_8));
    }
    return rs.stream().anyMatch(r -> r.error().isEmpty() && !r.matched()) ? 1 : 0;
  }
}
