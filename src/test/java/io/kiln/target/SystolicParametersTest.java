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
    assertFile(yaml.replace("rows: 128", "rows: 0"), "rows");
    assertFile(yaml.replace("bandwidth_bytes_per_cycle: 1024", "bandwidth_bytes_per_cycle: 768"),
        "word: memory 'sram' gives 6.0 bytes per cycle");
    assertFile(yaml.replace("size: 32 MiB", "size: 16 KiB"), "sram: memory 'sram' of 16384 bytes is too small");
  }

  private static void assertFile(String yaml, String message) {
    assertThatThrownBy(() -> HardwareLoader.parse(yaml, "test.yaml")).isInstanceOf(KilnException.class)
        .hasMessageContaining(message);
  }
}
