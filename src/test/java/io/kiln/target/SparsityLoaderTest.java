package io.kiln.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.Encoding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code sparsity:} field of an accelerator: the diana preset with N:M support switched on for
 * its digital unit loads, round-trips through the writer, and every bad value is one line naming
 * the field.
 */
class SparsityLoaderTest {
  @TempDir
  Path dir;

  /** The diana digital unit with 1:4, 1:8 and 1:16 and 4-bit offsets, as the sparse benchmarks plan it. */
  static final String SPARSE_DIGITAL = io.kiln.testing.SparseLayers.DIGITAL_YAML;

  private HardwareDescription load(String block) throws IOException {
    Path f = dir.resolve("soc.yaml");
    Files.writeString(f, io.kiln.testing.SparseLayers.dianaYaml(block));
    return HardwareLoader.load(f);
  }

  private void assertError(String block, String... parts) {
    assertThatThrownBy(() -> load(block)).isInstanceOf(KilnException.class).satisfies(e -> {
      assertThat(e.getMessage()).doesNotContain("\n").startsWith(dir.resolve("soc.yaml") + ": ");
      for (String p : parts) {
        assertThat(e.getMessage()).contains(p);
      }
    });
  }

  @Test
  void declaredFormatsLoadAndRoundTrip() throws IOException {
    HardwareDescription hw = load(SPARSE_DIGITAL);
    assertThat(hw).isEqualTo(io.kiln.testing.SparseLayers.diana());
    Sparsity s = hw.accelerator("digital").orElseThrow().sparsity();
    assertThat(s.formats()).containsExactly(new Encoding.NM(1, 4), new Encoding.NM(1, 8), new Encoding.NM(1, 16));
    assertThat(s.offsetBits()).isEqualTo(4);
    assertThat(s.skipsZeros()).isTrue();
    assertThat(hw.accelerator("analog").orElseThrow().sparsity()).isEqualTo(Sparsity.NONE);
    Path f = dir.resolve("rt.yaml");
    Files.writeString(f, HardwareWriter.toYaml(hw));
    assertThat(HardwareLoader.load(f)).isEqualTo(hw);
  }

  @Test
  void theDefaultIsDenseOnly() {
    assertThat(Presets.get("diana").accelerators()).allMatch(a -> a.sparsity().equals(Sparsity.NONE));
    assertThat(HardwareWriter.toYaml(Presets.get("diana"))).doesNotContain("sparsity");
  }

  @Test
  void quotedFormatsAndSkipZerosDefault() throws IOException {
    Sparsity s = load("    sparsity:\n      formats: ['2:8']\n      offset_bits: 3\n").accelerator("digital")
        .orElseThrow().sparsity();
    assertThat(s.formats()).containsExactly(new Encoding.NM(2, 8));
    assertThat(s.skipsZeros()).isTrue();
  }

  @Test
  void badValuesNameTheField() {
    assertError("    sparsity:\n      formats: []\n      offset_bits: 4\n", "accelerators[0].sparsity.formats",
        "at least one");
    assertError("    sparsity:\n      formats: [3:4]\n      offset_bits: 4\n",
        "accelerators[0].sparsity.formats[0]", "N in {1, 2}");
    assertError("    sparsity:\n      formats: [1:5]\n      offset_bits: 4\n",
        "accelerators[0].sparsity.formats[0]", "M in {4, 8, 16}");
    assertError("    sparsity:\n      formats: [dense]\n      offset_bits: 4\n",
        "accelerators[0].sparsity.formats[0]", "N:M format");
    assertError("    sparsity:\n      formats: [1:4, 1:4]\n      offset_bits: 4\n",
        "accelerators[0].sparsity.formats[1]", "twice");
    assertError("    sparsity:\n      formats: [1:4, 1:16]\n      offset_bits: 2\n",
        "accelerators[0].sparsity.offset_bits", "1:16", "needs 4");
    assertError("    sparsity:\n      formats: [1:4]\n", "accelerators[0].sparsity.offset_bits", "missing");
    assertError("    sparsity:\n      formats: [1:4]\n      offset_bits: 9\n", "accelerators[0].sparsity.offset_bits",
        "at most 8");
    assertError("    sparsity:\n      formats: [1:4]\n      offset_bits: 4\n      index_bits: 4\n",
        "accelerators[0].sparsity.index_bits");
  }

  @Test
  void onlyADigitalArrayDeclaresFormats() throws IOException {
    Path f = dir.resolve("soc.yaml");
    String analog = "    weight_layout: crossbar\n";
    String yaml = Presets.commentedYaml("diana").orElseThrow();
    assertThat(yaml).contains(analog);
    Files.writeString(f, yaml.replace(analog, analog + SPARSE_DIGITAL));
    assertThatThrownBy(() -> HardwareLoader.load(f)).isInstanceOf(KilnException.class)
        .hasMessageContaining("accelerators[1].sparsity: N:M formats run on digital_pe_array units only, not analog_imc");
  }

  @Test
  void aUnitStoresAFormatInTheSparsestDeclaredOneItFollows() {
    Sparsity s = new Sparsity(List.of(new Encoding.NM(1, 4), new Encoding.NM(1, 8)), 4, true);
    assertThat(s.formatFor(new Encoding.NM(1, 16))).contains(new Encoding.NM(1, 8));
    assertThat(s.formatFor(new Encoding.NM(1, 4))).contains(new Encoding.NM(1, 4));
    assertThat(s.formatFor(new Encoding.NM(2, 8))).isEmpty();
    assertThat(Sparsity.NONE.formatFor(new Encoding.NM(1, 4))).isEmpty();
  }
}
