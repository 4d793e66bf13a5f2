package io.kiln.cli;

import io.kiln.analysis.CostAnalysis;
import io.kiln.analysis.GraphCost;
import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln inspect}: per-operator shapes, MACs and memory of a model, as a table or JSON. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Show every operator of MODEL with its shapes, MACs, parameter and activation"
        + " bytes, and the totals.")
final class InspectCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL",
      description = "A .tflite file or builtin:NAME (see 'kiln builtins').")
  String model;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Override
  public void run() {
    // Weights that already follow an N:M pattern are shown (and counted) as stored sparse.
    Graph g = io.kiln.passes.NmRecognition.apply(ModelSource.load(model));
    GraphCost cost = CostAnalysis.analyze(g);
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? InspectReport.json(g, cost) : InspectReport.table(g, cost));
    out.flush();
  }
}
