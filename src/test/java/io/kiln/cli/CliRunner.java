package io.kiln.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.models.Builtins;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process with captured stdout and stderr. */
final class CliRunner {
  record Result(int code, String out, String err) {
    /** stderr without its trailing newline; error tests check it is exactly one line. */
    String errLine() {
      return err.stripTrailing();
    }
  }

  private CliRunner() {}

  static Result kiln(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Result(code, out.toString(), err.toString());
  }

  /**
   * Skips a test that needs the reference interpreter to execute a built-in model while its
   * kernels are still being written, saying which kernel is missing.
   */
  static void assumeInterpreterRuns(String builtin) {
    try {
      new Interpreter(Builtins.named(builtin).build());
    } catch (KilnException e) {
      assumeTrue(!e.getMessage().contains("does not support"),
          "interpreter cannot run builtin:" + builtin + " yet: " + e.getMessage());
      throw e;
    }
  }
}
