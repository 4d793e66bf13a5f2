package io.kiln.cli;

import io.kiln.target.Presets;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kiln targets}: lists the built-in hardware descriptions that --target names. */
@Command(name = "targets", mixinStandardHelpOptions = true,
    description = "List the built-in hardware descriptions (use them as --target NAME).",
    footer = {"", "Print one with 'kiln target show NAME'; save it, edit it and pass the file "
        + "as --target FILE.yaml."})
final class TargetsCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    for (Presets.Preset p : Presets.all()) {
      out.printf("%-6s  %s%n", p.name(), p.description());
      if (!p.parameterSyntax().isEmpty()) {
        out.printf("%-6s  parameters: %s:%s%n", "", p.name(), p.parameterSyntax());
      }
    }
    out.flush();
  }
}
