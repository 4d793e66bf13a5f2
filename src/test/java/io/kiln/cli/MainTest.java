package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.KilnException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

  @Test
  void versionNamesKiln() {
    CliRunner.Result r = kiln("--version");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("kiln ");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void helpListsTheCommands() {
    CliRunner.Result r = kiln("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("inspect", "run", "builtins", "--debug");
  }

  @Test
  void subcommandHelpDescribesOptions() {
    CliRunner.Result r = kiln("run", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("--input", "--random-input", "--output-dir", "--batch");
  }

  @Test
  void noCommandPrintsUsageAndFails() {
    CliRunner.Result r = kiln();
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Usage: kiln");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void unknownCommandIsOneLine() {
    CliRunner.Result r = kiln("compile-everything");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: ").doesNotContain("\n")
        .contains("compile-everything");
  }

  @Test
  void builtinsListsEveryModel() {
    CliRunner.Result r = kiln("builtins");
    assertThat(r.code()).isZero();
    assertThat(r.out().lines().toList()).hasSize(4);
    assertThat(r.out()).contains("builtin:ds_cnn", "builtin:resnet", "builtin:resnet50", "builtin:vgg16");
  }

  @Test
  void userErrorsExitTwoWithOneLine() {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main()).setErr(new PrintWriter(err, true));
    int code = Main.handleExecutionException(new KilnException("bad model\nsecond line"), cl,
        cl.parseArgs());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).isEqualTo("kiln: bad model; second line" + System.lineSeparator());
  }

  @Test
  void ioErrorsExitTwoNamingTheFile() {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main()).setErr(new PrintWriter(err, true));
    int code = Main.handleExecutionException(new NoSuchFileException("in.bin"), cl,
        cl.parseArgs());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip()).isEqualTo("kiln: no such file or directory: in.bin");
  }

  @Test
  void bugsExitOneWithoutATraceUnlessDebugging() {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main()).setErr(new PrintWriter(err, true));
    int code = Main.handleExecutionException(new IllegalStateException("oops"), cl,
        cl.parseArgs());
    assertThat(code).isEqualTo(1);
    assertThat(err.toString().strip()).isEqualTo("kiln: internal error: "
        + "java.lang.IllegalStateException: oops (this is a bug in Kiln; rerun with --debug for"
        + " the stack trace)");

    StringWriter debugErr = new StringWriter();
    CommandLine debug = new CommandLine(new Main()).setErr(new PrintWriter(debugErr, true));
    code = Main.handleExecutionException(new IllegalStateException("oops"), debug,
        debug.parseArgs("--debug"));
    assertThat(code).isEqualTo(1);
    assertThat(debugErr.toString()).startsWith("kiln: internal error: "
        + "java.lang.IllegalStateException: oops").contains("\tat ");
  }
}
