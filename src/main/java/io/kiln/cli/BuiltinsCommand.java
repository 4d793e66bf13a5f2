package io.kiln.cli;

import io.kiln.models.Builtins;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kiln builtins}: lists the example models that {@code builtin:NAME} names. */
@Command(name = "builtins", mixinStandardHelpOptions = true,
    description = "List the built-in example models (use them as builtin:NAME).")
final class BuiltinsCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    int width = 0;
    for (Builtins.Builtin b : Builtins.all()) {
      width = Math.max(width, Builtins.PREFIX.length() + b.name().length());
    }
    for (Builtins.Builtin b : Builtins.all()) {
      out.printf("%-" + width + "s  %s%n", Builtins.PREFIX + b.name(), b.description());
    }
    out.flush();
  }
}
