package io.kiln.cli;

import io.kiln.ir.Graph;
import io.kiln.ir.GraphPrinter;
import io.kiln.models.ModelSource;
import io.kiln.passes.PassLog;
import io.kiln.passes.Pipeline;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln opt}: applies the graph optimization passes to a model and prints the canonical text
 * form, after every pass that changed the graph or only at the end.
 */
@Command(name = "opt", mixinStandardHelpOptions = true,
    description = "Apply Kiln's graph optimization passes to MODEL and print the result.")
final class OptCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL",
      description = "A .tflite file or builtin:NAME (see 'kiln builtins').")
  String model;

  @Option(names = "--print-after-all",
      description = "Print the graph after every pass that changed it, headed by the pass name.")
  boolean printAfterAll;

  @Option(names = "--passes", split = ",", paramLabel = "PASS",
      description = "Run only these passes, in this order (default: the whole pipeline).")
  List<String> passes;

  @Option(names = "--explain",
      description = "Also list every rule application and why the other rules did not apply.")
  boolean explain;

  @Option(names = "--verify-each",
      description = "Run the IR verifier after every pass.")
  boolean verifyEach;

  @Override
  public Integer call() {
    Graph g = ModelSource.load(model);
    Pipeline pipeline = passes == null ? Pipeline.DEFAULT : Pipeline.of(passes);
    if (verifyEach) {
      pipeline = pipeline.verifying();
    }
    Pipeline.Result result = pipeline.run(g);
    PrintWriter out = spec.commandLine().getOut();
    if (printAfterAll) {
      out.print("# input\n" + GraphPrinter.print(g));
      for (Pipeline.StageResult s : result.stages()) {
        if (s.changed()) {
          out.print("# after " + s.pass() + "\n" + GraphPrinter.print(s.graph()));
        } else {
          out.print("# " + s.pass() + ": unchanged\n");
        }
      }
    } else {
      out.print(GraphPrinter.print(result.graph()));
    }
    if (explain) {
      out.println("# rules");
      for (PassLog.Entry e : result.log().entries()) {
        out.println("#   " + e);
      }
    }
    out.flush();
    return 0;
  }
}
