package io.kiln.cli;

import io.kiln.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * Entry point of the {@code kiln} command line: wires the subcommands and turns every failure
 * into one line on stderr with a meaningful exit code (2 for the user's errors, 1 for Kiln's).
 */
@Command(name = "kiln", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Ahead-of-time compiler for quantized neural networks on TinyML SoCs.",
    subcommands = {InspectCommand.class, RunCommand.class, CompileCommand.class,
        OptCommand.class, ExportCommand.class, QuantizeCommand.class, PruneCommand.class,
        BuiltinsCommand.class,
        TargetsCommand.class, TargetCommand.class, PlanCommand.class, SimulateCommand.class, KwsCommand.class,
        DlaCommand.class, SweepCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "MODEL is a .tflite or .onnx file, or builtin:NAME (see 'kiln builtins')."})
public final class Main implements java.util.concurrent.Callable<Integer> {
  /** Exit code for errors in the user's input: bad arguments, models, input files. */
  public static final int EXIT_USER_ERROR = 2;
  /** Exit code for bugs in Kiln. */
  public static final int EXIT_INTERNAL_ERROR = 1;

  @Spec
  CommandSpec spec;

  @Option(names = "--debug", scope = ScopeType.INHERIT,
      description = "Print the full stack trace of internal errors.")
  boolean debug;

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int code = execute(out, err, args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** Runs the CLI with the given streams and returns the exit code; tests call this. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(Main::handleExecutionException);
    cl.setParameterExceptionHandler(Main::handleParameterException);
    cl.registerConverter(Path.class, Main::path);
    cl.setExecutionStrategy(Main::refuseUnmatchedThenRun);
    return cl.execute(args);
  }

  /**
   * An empty path would mean the current directory ({@code Path.of("")}), which nobody means
   * when an option's value came out empty (an unset shell variable).
   */
  private static Path path(String s) {
    if (s.isEmpty()) {
      throw new CommandLine.TypeConversionException("a path must not be empty");
    }
    try {
      return Path.of(s);
    } catch (InvalidPathException e) {
      throw new CommandLine.TypeConversionException("not a valid path: " + e.getReason());
    }
  }

  /**
   * picocli ignores unknown arguments when --help is among them ({@code kiln NOSUCHCOMMAND
   * --help} would print the main help and succeed); an unknown argument is an error either way.
   */
  private static int refuseUnmatchedThenRun(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (!p.unmatched().isEmpty()) {
        CommandLine cl = p.commandSpec().commandLine();
        cl.getErr().println("kiln: unknown command or argument '" + oneLine(p.unmatched().get(0))
            + "' (see '" + p.commandSpec().qualifiedName() + " --help')");
        return EXIT_USER_ERROR;
      }
    }
    return new CommandLine.RunLast().execute(parsed);
  }

  /** {@code kiln} without a command: the usage, on stderr since nothing was done. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return EXIT_USER_ERROR;
  }

  static int handleExecutionException(Exception ex, CommandLine cl, ParseResult parsed) {
    PrintWriter err = cl.getErr();
    if (ex instanceof KilnException) {
      err.println("kiln: " + oneLine(ex.getMessage()));
      if (debugRequested(parsed)) {
        ex.printStackTrace(err);
      }
      return EXIT_USER_ERROR;
    }
    if (ex instanceof IOException io) {
      err.println("kiln: " + IoErrors.describe(io));
      return EXIT_USER_ERROR;
    }
    if (ex instanceof UncheckedIOException io) {
      err.println("kiln: " + IoErrors.describe(io.getCause()));
      return EXIT_USER_ERROR;
    }
    if (debugRequested(parsed)) {
      err.println("kiln: internal error: " + oneLine(String.valueOf(ex)));
      ex.printStackTrace(err);
    } else {
      err.println("kiln: internal error: " + oneLine(String.valueOf(ex))
          + " (this is a bug in Kiln; rerun with --debug for the stack trace)");
    }
    return EXIT_INTERNAL_ERROR;
  }

  private static int handleParameterException(CommandLine.ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    cl.getErr().println("kiln: " + oneLine(ex.getMessage()) + " (see '"
        + cl.getCommandSpec().qualifiedName() + " --help')");
    return EXIT_USER_ERROR;
  }

  /** Whether --debug was given on the command or any of its parents. */
  private static boolean debugRequested(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--debug")) {
        return true;
      }
    }
    return false;
  }

  static String oneLine(String s) {
    return s == null ? "(no message)" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
  }

  /** Reads the version Maven records in the jar; a build from classes says so instead. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = "development build";
      try (InputStream in =
          Main.class.getResourceAsStream("/META-INF/maven/io.kiln/kiln/pom.properties")) {
        if (in != null) {
          Properties p = new Properties();
          p.load(in);
          v = p.getProperty("version", v);
        }
      } catch (IOException e) {
        // Keep the fallback: a version string is not worth failing --version for.
      }
      return new String[] {"kiln " + v + " (Java " + Runtime.version().feature() + ")"};
    }
  }
}
