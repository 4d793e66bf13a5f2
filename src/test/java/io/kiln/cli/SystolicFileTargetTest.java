package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.target.Presets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hardware file that declares its own systolic unit (rows, cols, word, sram, im2col, tiles)
 * plans and simulates as the preset of the same parameters, and a bad one, or a preset whose
 * SRAM holds no tile, is one line naming the field, exit 2, with nothing written.
 */
class SystolicFileTargetTest {
  private static final String SPEC = "systolic:rows=32,cols=16,word=4,sram=256KiB,im2col=explicit,tiles=3";

  /** The commented preset file with these parameters, under a name of its own. */
  static String file(String word, String im2col, String tiles) {
    return Presets.commentedYaml("systolic").orElseThrow()
        .replaceFirst("(?m)^name: systolic$", "name: my-array")
        .replace("array: {rows: 128, cols: 128}", "array: {rows: 32, cols: 16}")
        .replace("peak_macs_per_cycle: 16384", "peak_macs_per_cycle: 512")
        .replace("bandwidth_bytes_per_cycle: 1024", "bandwidth_bytes_per_cycle: 128")
        .replace("size: 32 MiB", "size: 256 KiB")
        .replace("systolic: {word: 8, im2col: implicit, tiles: auto}",
            "systolic: {word: " + word + ", im2col: " + im2col + ", tiles: " + tiles + "}");
  }

  @Test
  void aFileDeclaringTheUnitPlansAndSimulatesAsThePreset(@TempDir Path dir) throws Exception {
    Path hw = dir.resolve("my-array.yaml");
    Files.writeString(hw, file("4", "explicit", "3"));
    for (String cmd : List.of("plan", "simulate")) {
      List<String> common = cmd.equals("plan") ? List.of() : List.of("--random-input", "2");
      CliRunner.Result fromFile = run(cmd, hw.toString(), common);
      CliRunner.Result fromPreset = run(cmd, SPEC, common);
      assertThat(fromFile.code()).as(fromFile.err()).isZero();
      assertThat(fromPreset.code()).as(fromPreset.err()).isZero();
      assertThat(body(fromFile.out())).isEqualTo(body(fromPreset.out()));
      if (cmd.equals("simulate")) {
        assertThat(fromFile.out()).contains("outputs: identical to the interpreter on the lowered graph");
      }
    }
    // im2col reaches the engine from the file: implicit plans differ from explicit ones.
    Files.writeString(hw, file("4", "implicit", "3"));
    assertThat(body(run("plan", hw.toString(), List.of()).out())).isNotEqualTo(body(run("plan", SPEC, List.of()).out()));
  }

  @Test
  void badFilesAndTooSmallSramsAreOneLineNamingTheFieldWithNothingWritten(@TempDir Path dir) throws Exception {
    String[][] files = {
        {file("0", "implicit", "auto"), "accelerators[0].systolic.word: must be positive, got 0"},
        {file("6", "implicit", "auto"), "accelerators[0].systolic.word: must be a power of two"},
        {file("4", "implicit", "33"), "accelerators[0].systolic.tiles: 33 decomposed-filter tiles do not fit"},
        {file("4", "sideways", "auto"), "accelerators[0].systolic.im2col: unknown value 'sideways'"},
        {file("4", "implicit", "auto").replace("array: {rows: 32, cols: 16}", "array: {rows: 0, cols: 16}"),
            "accelerators[0].array.rows: must be positive, got 0"},
        {file("4", "implicit", "auto").replace("array: {rows: 32, cols: 16}", "array: {rows: 32, cols: 0}"),
            "accelerators[0].array.cols: must be positive, got 0"},
        {file("4", "implicit", "auto").replace("size: 256 KiB", "size: 1 KiB"),
            "accelerators[0].l1: sram: memory 'sram' of 1024 bytes is too small for any tile"},
    };
    for (int i = 0; i < files.length; i++) {
      Path hw = dir.resolve("bad" + i + ".yaml");
      Files.writeString(hw, files[i][0]);
      for (String cmd : List.of("plan", "compile", "simulate")) {
        assertOneLine(dir, cmd, hw.toString(), hw + ": " + files[i][1]);
      }
    }
    String[][] presets = {
        {"systolic:rows=0", "target systolic: rows=0 must be at least 1"},
        {"systolic:cols=0", "target systolic: cols=0 must be at least 1"},
        {"systolic:word=0", "target systolic: word=0 must be at least 1"},
        {"systolic:word=12", "target systolic: word=12 must be a power of two"},
        {"systolic:sram=32KiB", "target systolic: sram=32KiB is too small for any tile"},
    };
    for (String[] p : presets) {
      for (String cmd : List.of("plan", "compile", "simulate")) {
        assertOneLine(dir, cmd, p[0], p[1]);
      }
    }
    // A description that holds one array tile but no tile of a layer (its weights, input, outputs
    // and parameters, double-buffered): the layer falls back to the host, and --strict makes that
    // the error.
    CliRunner.Result strict = run("plan", "systolic:rows=8,cols=8,sram=512B", List.of("--strict"));
    assertThat(strict.code()).isEqualTo(2);
    assertThat(strict.err().strip()).startsWith("kiln: --strict: %3 \"conv0\" (Conv2D) fits on no accelerator: ")
        .contains("sram: L1 'sram' of 512 bytes holds no tile of this layer; the smallest (K 8, C 3, 1x1 "
            + "outputs, im2col implicit) needs").doesNotContain("\n");
  }

  private static void assertOneLine(Path dir, String cmd, String target, String message) throws Exception {
    Path out = dir.resolve("out-" + cmd);
    Path json = dir.resolve("report-" + cmd + ".json");
    List<String> args = switch (cmd) {
      case "compile" -> List.of("-o", out.toString(), "--json", json.toString());
      case "plan" -> List.of("--json", json.toString());
      default -> List.of("--random-input", "1");
    };
    CliRunner.Result r = run(cmd, target, args);
    assertThat(r.code()).as(cmd + " " + target + ": " + r.err()).isEqualTo(2);
    assertThat(r.err().strip()).as(cmd).startsWith("kiln: " + message).doesNotContain("\n");
    assertThat(out).doesNotExist();
    assertThat(json).doesNotExist();
  }

  private static CliRunner.Result run(String cmd, String target, List<String> extra) {
    List<String> args = new java.util.ArrayList<>(List.of(cmd, "builtin:resnet", "--target", target));
    args.addAll(extra);
    return kiln(args.toArray(String[]::new));
  }

  /** The report without its first line, which names the target. */
  private static String body(String out) {
    return out.substring(out.indexOf('\n') + 1).replace("my-array.systolic", "systolic.systolic");
  }
}
