package io.kiln.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.kiln.KilnException;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile hardware files: huge scalars, deep nesting, several documents, anchors and aliases.
 * The limits are enforced before or while reading, never after a tree was built.
 */
class HardwareLoaderLimitsTest {
  /** A hang guard: the refusals below take milliseconds when the limits are checked early. */
  private static final Duration HANG = Duration.ofSeconds(20);
  private static final String CPU = HardwareWriter.toYaml(Presets.get("cpu"));

  @TempDir
  Path dir;

  @Test
  void theCpuPresetRoundTrips() {
    assertThat(HardwareLoader.parse(CPU, "cpu.yaml")).isEqualTo(Presets.get("cpu"));
  }

  @Test
  void aFiftyMegabyteScalarIsRefusedBySizeBeforeReading() throws IOException {
    Path f = dir.resolve("big.yaml");
    try (Writer w = Files.newBufferedWriter(f)) {
      w.write(CPU.replaceFirst("(?m)^description: .*$", "") + "description: ");
      char[] chunk = new char[1 << 20];
      java.util.Arrays.fill(chunk, 'x');
      for (int i = 0; i < 50; i++) {
        w.write(chunk);
      }
      w.write("\n");
    }
    long size = Files.size(f);
    assertThatThrownBy(() -> assertTimeoutPreemptively(HANG, () -> HardwareLoader.load(f)))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith(f + ": ")
        .hasMessageContaining(size + " bytes")
        .hasMessageContaining("limit is " + HardwareLoader.MAX_BYTES);
  }

  @Test
  void aFiveMegabyteTextIsRefusedBeforeParsing() {
    String text = CPU + "# " + "y".repeat(5 << 20) + "\n";
    assertThatThrownBy(() -> assertTimeoutPreemptively(HANG,
        () -> HardwareLoader.parse(text, "five.yaml")))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("five.yaml: ").hasMessageContaining("limit is");
  }

  @Test
  void aSecondDocumentIsRefused() {
    assertThatThrownBy(() -> HardwareLoader.parse(CPU + "---\nname: other\n", "two.yaml"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("two.yaml: ").hasMessageContaining("one YAML document");
  }

  @Test
  void anchorsAndAliasesAreRefused() {
    String aliased = CPU.replaceFirst("(?m)^name: cpu$", "name: &n cpu\ndescription: *n");
    assertThat(aliased).contains("*n");
    assertThatThrownBy(() -> HardwareLoader.parse(aliased, "alias.yaml"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("alias.yaml: ").hasMessageContaining("alias");
  }

  @Test
  void deepNestingIsRefusedWhileReading() {
    String deep = "name: x\nextra: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n";
    assertThatThrownBy(() -> assertTimeoutPreemptively(HANG,
        () -> HardwareLoader.parse(deep, "deep.yaml")))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("deep.yaml: ").hasMessageContaining("nested deeper than");
  }

  @Test
  void nonRegularFilesAreRefused() {
    assertThatThrownBy(() -> HardwareLoader.load(Path.of("/dev/zero")))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("/dev/zero").hasMessageContaining("not a regular file");
  }

  /** Found by HardwareFuzzTest: a quoted value with line breaks made the error several lines. */
  @Test
  void valuesWithLineBreaksStayOnOneLineInErrors() {
    String diana = Presets.commentedYaml("diana").orElseThrow();
    String broken = diana.replaceFirst("requant: \\[shift\\]",
        java.util.regex.Matcher.quoteReplacement("requant: [\"fixed_p\\n\\nx\"]"));
    assertThat(broken).isNotEqualTo(diana);
    assertThatThrownBy(() -> HardwareLoader.parse(broken, "broken.yaml"))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("unknown value 'fixed_p??x'")
        .hasMessageNotContaining("\n");
  }
}
