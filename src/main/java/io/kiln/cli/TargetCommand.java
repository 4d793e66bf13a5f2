package io.kiln.cli;

import io.kiln.target.HardwareDescription;
import io.kiln.target.HardwareWriter;
import io.kiln.target.Presets;
import io.kiln.target.Targets;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln target show NAME}: prints a hardware description as YAML. */
@Command(name = "target", mixinStandardHelpOptions = true,
    description = "Inspect a hardware description.",
    subcommands = {TargetCommand.Show.class})
final class TargetCommand implements java.util.concurrent.Callable<Integer> {
  @Spec
  CommandSpec spec;

  /** {@code kiln target} without a subcommand: the usage, on stderr since nothing was done. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Main.EXIT_USER_ERROR;
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Print a preset (with its comments) or a validated hardware file as YAML.")
  static final class Show implements Runnable {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "TARGET",
        description = "A preset (see 'kiln targets'), e.g. diana or dla:pe=128,sram=1MiB, "
            + "or a .yaml hardware file.")
    String target;

    @Option(names = "--canonical",
        description = "Print every field explicitly, without the preset's comments.")
    boolean canonical;

    @Override
    public void run() {
      PrintWriter out = spec.commandLine().getOut();
      HardwareDescription hw = Targets.resolve(target);
      Optional<String> commented = canonical || !Presets.isPreset(target.strip())
          ? Optional.empty() : Presets.commentedYaml(target.strip());
      if (commented.isPresent()) {
        out.print(commented.get());
      } else {
        out.println("# Hardware description '" + hw.name() + "', every field explicit "
            + "(kiln target show).");
        if (Presets.isPreset(target.strip())) {
          String base = target.strip().split(":", 2)[0];
          out.println("# The commented original: kiln target show " + base);
        }
        out.print(HardwareWriter.toYaml(hw));
      }
      out.flush();
    }
  }
}
