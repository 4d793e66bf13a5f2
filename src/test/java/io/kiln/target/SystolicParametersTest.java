package io.kiln.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.target.SystolicParameters.Im2col;
import org.junit.jupiter.api.Test;

/** The systolic preset: TPU-v2-like defaults, derived configurations, errors naming the field. */
class SystolicParametersTest {

  @Test
  void defaultsAreATpuV2LikeCore() {
    HardwareDescription hw = Presets.get("systolic");
    assertThat(hw.clockHz()).isEqualTo(700_000_000L);
    Accelerator a = hw.accelerator("systolic").orElseThrow();
    assertThat(a.kind()).isEqualTo(Accelerator.Kind.SYSTOLIC);
    assertThat(a.arrayDim("rows").orElseThrow().size()).isEqualTo(128);
    assertThat(a.arrayDim("cols").orElseThrow().size()).isEqualTo(128);
    assertThat(a.peakMacsPerCycle()).isEqualTo(128 * 128);
    MemoryLevel sram = hw.memory("sram").orElseThrow();
    assertThat(sram.sizeBytes()).isEqualTo(32L * 1024 * 1024);
    // 128 single-port arrays of 8-element words.
    assertThat(sram.bandwidthBytesPerCycle()).isEqualTo(128.0 * 8);
    // 700 GB/s at 700 MHz.
    assertThat(hw.memory("hbm").orElseThrow().bandwidthBytesPerCycle()).isEqualTo(1000.0);
    assertThat(SystolicParameters.of(hw, a)).isEqualTo(SystolicParameters.DEFAULTS);
    assertThat(a.patterns()).extracting(p -> p.op()).contains(OpPattern.Op.CONV2D,
        OpPattern.Op.DEPTHWISE_CONV2D, OpPattern.Op.FULLY_CONNECTED, OpPattern.Op.MATMUL);
    assertThat(a.depthwise()).isEqualTo(Accelerator.DepthwiseSupport.EMULATED);
  }

  @Test
  void parametersDeriveAnotherArray() {
    HardwareDescription hw = Presets.get("systolic:word=4,rows=32,cols=64,sram=1MiB,im2col=explicit,tiles=3");
    assertThat(hw.name()).isEqualTo(
        "systolic:rows=32,cols=64,word=4,sram=1MiB,im2col=explicit,tiles=3");
    Accelerator a = hw.accelerators().get(0);
    assertThat(a.peakMacsPerCycle()).isEqualTo(32 * 64);
    assertThat(hw.memory("sram").orElseThrow().bandwidthBytesPerCycle()).isEqualTo(32.0 * 4);
    assertThat(a.patterns(OpPattern.Op.CONV2D).get(0).unroll())
        .extracting(OpPattern.Unroll::factor).containsExactly(32, 64);
    SystolicParameters p = SystolicParameters.of(hw, a);
    assertThat(p.im2col()).isEqualTo(Im2col.EXPLICIT);
    assertThat(p.tiles()).isEqualTo(3);
    assertThat(p.tilesFor(8, 3)).isEqualTo(3);
    assertThat(Presets.get("systolic:rows=128,cols=128,word=8,sram=32MiB,im2col=implicit,tiles=auto"))
        .isEqualTo(Presets.get("systolic"));
  }

  @Test
  void defaultTilesAreRowsOverChannelsCappedByFilterWidth() {
    SystolicParameters p = SystolicParameters.DEFAULTS;
    assertThat(p.tilesFor(8, 3)).isEqualTo(3);
    assertThat(p.tilesFor(64, 3)).isEqualTo(2);
    assertThat(p.tilesFor(128, 3)).isEqualTo(1);
    assertThat(p.tilesFor(512, 7)).isEqualTo(1);
    assertThat(p.tilesFor(3, 7)).isEqualTo(7);
  }

  @Test
  void errorsNameTheField() {
    assertError("systolic:rows=0", "rows=0 must be at least 1");
    assertError("systolic:cols=0", "cols=0 must be at least 1");
    assertError("systolic:word=0", "word=0 must be at least 1");
    assertError("systolic:word=6", "word=6 must be a power of two");
    assertError("systolic:sram=1KiB", "sram=1KiB is too small for any tile");
    assertError("systolic:rows=8,tiles=9", "tiles=9 is more than the 8 rows");
    assertError("systolic:im2col=magic", "im2col='magic' is not allowed");
    assertError("systolic:depth=3", "unknown parameter 'depth'");
    assertError("systolic:rows=4,rows=8", "parameter 'rows' is given twice");
    assertError("systolic:rows=x", "rows='x' is not a whole number");
  }

  private static void assertError(String spec, String message) {
    assertThatThrownBy(() -> Targets.resolve(spec)).isInstanceOf(KilnException.class)
        .hasMessageContaining("target systolic: " + message);
  }

  @Test
  void aHardwareFileWithABadSystolicArrayNamesTheField() {
    String yaml = HardwareWriter.toYaml(Presets.get("systolic"));
    assertFile(yaml.replace("rows: 128", "rows: 0"), "accelerators[0].array.rows: must be positive, got 0");
    assertFile(yaml.replace("cols: 128", "cols: 0"), "accelerators[0].array.cols: must be positive, got 0");
    assertFile(yaml.replace("word: 8", "word: 0"), "accelerators[0].systolic.word: must be positive, got 0");
    assertFile(yaml.replace("word: 8", "word: 6"), "accelerators[0].systolic.word: must be a power of two");
    assertFile(yaml.replace("word: 8", "word: 4"), "accelerators[0].systolic.word: word 4 on 128 SRAM arrays "
        + "needs memory 'sram' to have bandwidth_bytes_per_cycle 512");
    assertFile(yaml.replace("im2col: implicit", "im2col: magic"), "accelerators[0].systolic.im2col: unknown value "
        + "'magic' (allowed: implicit, explicit, channel_last)");
    assertFile(yaml.replace("tiles: auto", "tiles: 0"), "accelerators[0].systolic.tiles: must be auto or positive");
    assertFile(yaml.replace("tiles: auto", "tiles: many"), "accelerators[0].systolic.tiles: expected auto or a "
        + "whole number");
    assertFile(yaml.replace("tiles: auto", "tiles: 129"), "accelerators[0].systolic.tiles: 129 decomposed-filter "
        + "tiles do not fit the 128 rows");
    assertFile(yaml.replace("tiles: auto", "tiles: auto\n      depth: 3"), "accelerators[0].systolic.depth: "
        + "unknown field");
    assertFile(yaml.replace("size: 32 MiB", "size: 16 KiB"), "sram: memory 'sram' of 16384 bytes is too small");
    // The engine times folds from the array: a peak below its PEs would plan utilization above 1.
    assertFile(yaml.replace("peak_macs_per_cycle: 16384", "peak_macs_per_cycle: 100"),
        "accelerators[0].peak_macs_per_cycle: a 128x128 systolic array does 16384 MACs a cycle (one per"
            + " PE), got 100");
    // Without a systolic block the word comes from the bandwidth, which must give a power of two.
    String bare = yaml.replaceAll("\n *systolic:\n( +[a-z0-9_]+: .*\n){3}", "\n");
    assertThat(bare).doesNotContain("im2col: ");
    assertFile(bare.replace("bandwidth_bytes_per_cycle: 1024", "bandwidth_bytes_per_cycle: 768"),
        "word: memory 'sram' gives 6.0 bytes per cycle");
    // Only a systolic unit has SRAM arrays to feed.
    String diana = HardwareWriter.toYaml(Presets.get("diana"));
    assertFile(diana.replaceFirst("(\n    kind: digital_pe_array\n)", "$1    systolic: {word: 8}\n"),
        "systolic: only a unit of kind systolic has SRAM arrays to configure");
  }

  @Test
  void aHardwareFileDeclaresEverySystolicParameter() {
    // A file of its own name (not a preset's) that declares rows, cols, word, sram, im2col and tiles.
    String yaml = Presets.commentedYaml("systolic").orElseThrow()
        .replaceFirst("(?m)^name: systolic$", "name: my-array")
        .replace("array: {rows: 128, cols: 128}", "array: {rows: 32, cols: 64}")
        .replace("peak_macs_per_cycle: 16384", "peak_macs_per_cycle: 2048")
        .replace("bandwidth_bytes_per_cycle: 1024", "bandwidth_bytes_per_cycle: 128")
        .replace("size: 32 MiB", "size: 1 MiB")
        .replace("systolic: {word: 8, im2col: implicit, tiles: auto}", "systolic: {word: 4, im2col: explicit, tiles: 3}");
    HardwareDescription hw = HardwareLoader.parse(yaml, "my-array.yaml");
    assertThat(hw.name()).isEqualTo("my-array");
    SystolicParameters p = SystolicParameters.of(hw, hw.accelerators().get(0));
    assertThat(p).isEqualTo(new SystolicParameters(32, 64, 4, 1024 * 1024, Im2col.EXPLICIT, 3));
    // The same parameters as the preset that names them.
    HardwareDescription preset = Presets.get("systolic:rows=32,cols=64,word=4,sram=1MiB,im2col=explicit,tiles=3");
    assertThat(SystolicParameters.of(preset, preset.accelerators().get(0))).isEqualTo(p);
    assertThat(hw.accelerators().get(0).systolic()).isEqualTo(preset.accelerators().get(0).systolic());
  }

  @Test
  void everySystolicConfigurationRoundTripsThroughYaml() {
    java.util.Random r = new java.util.Random(12);
    for (int i = 0; i < 20; i++) {
      int rows = 1 << (2 + r.nextInt(6));
      int cols = 1 << (2 + r.nextInt(6));
      int word = 1 << r.nextInt(6);
      Im2col m = Im2col.values()[r.nextInt(3)];
      int tiles = r.nextInt(Math.min(rows, 8) + 1);
      String spec = "systolic:rows=" + rows + ",cols=" + cols + ",word=" + word + ",sram=4MiB,im2col="
          + m.name().toLowerCase(java.util.Locale.ROOT) + ",tiles=" + (tiles == 0 ? "auto" : tiles);
      HardwareDescription hw = Presets.get(spec);
      HardwareDescription back = HardwareLoader.parse(HardwareWriter.toYaml(hw), "round-trip.yaml");
      assertThat(back).as(spec).isEqualTo(hw);
      assertThat(SystolicParameters.of(back, back.accelerators().get(0)))
          .isEqualTo(new SystolicParameters(rows, cols, word, 4L << 20, m, tiles));
    }
  }

  private static void assertFile(String yaml, String message) {
    assertThatThrownBy(() -> HardwareLoader.parse(yaml, "test.yaml")).isInstanceOf(KilnException.class)
        .hasMessageContaining(message);
  }
}
