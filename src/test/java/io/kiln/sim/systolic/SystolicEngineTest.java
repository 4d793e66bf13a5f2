package io.kiln.sim.systolic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.kiln.plan.schedule.GemmTile;
import io.kiln.plan.schedule.SystolicEngine;
import io.kiln.target.SystolicParameters;
import io.kiln.target.SystolicParameters.Im2col;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The engine's timing: plain GEMMs against the SCALE-Sim weight-stationary fold model, the fold
 * count of each im2col method, multi-tile packing, strides, and the SRAM ports at narrow words.
 */
class SystolicEngineTest {
  static SystolicEngine engine(String spec) {
    return new SystolicEngine(SystolicParameters.parse(spec), 1000);
  }

  /** SCALE-Sim's weight-stationary model ({@link ScaleSimWs}) for K outputs, reduction C, T vectors. */
  static long scaleSim(int rows, int cols, int k, int c, long t) {
    return ScaleSimWs.cycles(rows, cols, c, k, t);
  }

  @Test
  void plainGemmsAgreeWithTheScaleSimFoldModelWithinFivePercent() {
    Random r = new Random(12);
    for (int i = 0; i < 200; i++) {
      int rows = 8 << r.nextInt(6);
      int cols = 8 << r.nextInt(6);
      int word = 1 << (1 + r.nextInt(5));
      int k = 1 + r.nextInt(1024);
      int c = 1 + r.nextInt(1024);
      long t = 1 + r.nextInt(4096);
      SystolicEngine e = engine("rows=" + rows + ",cols=" + cols + ",word=" + word);
      long want = scaleSim(rows, cols, k, c, t);
      long got = e.time(GemmTile.gemm(k, c, t)).cycles();
      assertThat((double) got).as("%dx%d word %d: K=%d C=%d T=%d", rows, cols, word, k, c, t)
          .isCloseTo(want, within(0.05 * want));
    }
  }

  @Test
  void onGemmsLargerThanTheArrayTheEngineIsScaleSimAndTheSteppedArrayIsWithinItsPartialFolds() {
    Random r = new Random(31);
    for (int i = 0; i < 12; i++) {
      int rows = 4 << r.nextInt(3);
      int cols = 4 << r.nextInt(3);
      // Larger than the array in every dimension, most with partial folds.
      int k = cols + 1 + r.nextInt(3 * cols);
      int c = rows + 1 + r.nextInt(3 * rows);
      int t = rows + cols + r.nextInt(200);
      SystolicArray array = new SystolicArray(rows, cols);
      array.gemm(SystolicArrayTest.random(r, t, c), SystolicArrayTest.random(r, c, k));
      long engine = engine("rows=" + rows + ",cols=" + cols + ",word=8,sram=1MiB").time(GemmTile.gemm(k, c, t))
          .cycles();
      assertThat(engine).isEqualTo(ScaleSimWs.cycles(rows, cols, c, k, t));
      // The stepped array loads only the block's rows and stops at its last used column.
      long unused = 0;
      for (int c0 = 0; c0 < c; c0 += rows) {
        for (int k0 = 0; k0 < k; k0 += cols) {
          unused += rows - Math.min(rows, c - c0) + cols - Math.min(cols, k - k0);
        }
      }
      assertThat(engine - array.cycles()).isEqualTo(unused);
    }
  }

  @Test
  void withoutPortConflictsAFoldIsExactlyTheScaleSimFold() {
    SystolicEngine e = engine("rows=128,cols=128,word=8");
    SystolicEngine.Timing t = e.time(GemmTile.gemm(256, 384, 1000));
    assertThat(t.folds()).isEqualTo(3 * 2);
    assertThat(t.stallCycles()).isZero();
    assertThat(t.cycles()).isEqualTo(6 * (2 * 128 + 128 + 1000 - 2));
    assertThat(t.macs()).isEqualTo(256L * 384 * 1000);
  }

  @Test
  void aOneElementWordCannotReadAndFillThroughOnePort() {
    // A read and a fill write per streamed vector: the port needs 2T cycles per fold.
    SystolicEngine.Timing narrow = engine("word=1").time(GemmTile.gemm(128, 128, 4096));
    assertThat(narrow.stallCycles()).isEqualTo(2 * 4096 - (2 * 128 + 128 + 4096 - 2));
    SystolicEngine.Timing wide = engine("word=2").time(GemmTile.gemm(128, 128, 4096));
    assertThat(wide.stallCycles()).isZero();
    assertThat(wide.portIdle()).isGreaterThan(narrow.portIdle());
  }

  @Test
  void implicitDecomposesTheFilterAndExplicitPacksTheLoweredReduction() {
    // C = 64 on 128 rows: implicit packs 2 decomposed filters per fold, 5 row blocks of 9 taps.
    GemmTile conv = GemmTile.conv(56, 64, 64, 3, 1, 1);
    SystolicEngine.Timing implicit = engine("im2col=implicit").time(conv);
    assertThat(implicit.tiles()).isEqualTo(2);
    assertThat(implicit.folds()).isEqualTo(5);
    SystolicEngine.Timing explicit = engine("im2col=explicit").time(conv);
    // 64 * 9 = 576 reduction rows: 5 row blocks of 128.
    assertThat(explicit.folds()).isEqualTo(5);
    // The lowered matrix is 9x the feature map; implicit keeps two copies of the input.
    assertThat(explicit.workspaceBytes()).isEqualTo(56L * 56 * 64 * 9);
    assertThat(implicit.workspaceBytes()).isEqualTo(56L * 56 * 64 * 2);
    assertThat(implicit.macs()).isEqualTo(explicit.macs()).isEqualTo(56L * 56 * 64 * 64 * 9);
  }

  @Test
  void multiTileDefaultIsRowsOverChannelsCappedByFilterWidthAndTilesOverridesIt() {
    GemmTile conv = GemmTile.conv(128, 8, 128, 3, 1, 8);
    assertThat(engine("tiles=auto").time(conv).tiles()).isEqualTo(3);
    for (int n = 1; n <= 8; n++) {
      SystolicEngine.Timing t = engine("tiles=" + n).time(conv);
      assertThat(t.tiles()).isEqualTo(n);
      assertThat(t.folds()).isEqualTo((9 + n - 1) / n);
      assertThat(t.workspaceBytes()).isEqualTo(128L * 128 * 8 * 8 * n);
    }
    // C_I >= rows: one tile whatever the override.
    assertThat(engine("tiles=4").time(GemmTile.conv(14, 256, 256, 3, 1, 1)).tiles()).isEqualTo(1);
  }

  @Test
  void aStrideShrinksTheImplicitFillButNotTheChannelLastOne() {
    for (int s : new int[] {1, 2, 4}) {
      GemmTile conv = GemmTile.conv(56, 64, 64, 3, s, 8);
      SystolicEngine.Timing cf = engine("im2col=implicit").time(conv);
      SystolicEngine.Timing cl = engine("im2col=channel_last").time(conv);
      long t = conv.streamed();
      // 5 row blocks (2 decomposed filters each), one K block: one fill per row block.
      assertThat(cf.sramWrites()).isEqualTo(5 * ((t + 7) / 8));
      assertThat(cl.sramWrites()).isEqualTo(5 * ((t * s * s + 7) / 8));
      assertThat(cf.stallCycles()).isZero();
      if (s < 4) {
        assertThat(cl.stallCycles()).isZero();
      } else {
        // 2T fill + T/2 reads through one port in a fold of about T cycles.
        assertThat(cl.stallCycles()).isPositive();
        assertThat(cl.cycles()).isGreaterThan(cf.cycles());
      }
    }
  }

  @Test
  void aBatchLargerThanTheSramStreamsInGroupsOfImagesAndOneImageMustFit() {
    // 224x224x64 twice (two decomposed filters side by side) is 6.1 MiB an image: one image of
    // the batch a group in 8 MiB, all eight in 64 MiB.
    GemmTile big = GemmTile.conv(224, 64, 64, 3, 1, 8);
    SystolicEngine small = engine("sram=8MiB");
    SystolicEngine.Timing t = small.time(big);
    assertThat(t.workspaceBytes()).isEqualTo(224L * 224 * 64 * 2).isLessThanOrEqualTo(8L << 20);
    assertThat(t.macs()).isEqualTo(big.macs());
    SystolicEngine.Timing whole = engine("sram=64MiB").time(big);
    assertThat(t.folds()).isEqualTo(8 * whole.folds());
    assertThat(small.workspaceBytes(big, Im2col.IMPLICIT)).isEqualTo(8 * 224L * 224 * 64 * 2);
    // At batch 1 the tile is timed as given: one image fits or the caller tiles it first.
    assertThat(small.time(GemmTile.conv(224, 64, 64, 3, 1, 1)).folds()).isEqualTo(whole.folds());
    assertThatThrownBy(() -> engine("sram=4MiB").time(big)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sram: 4194304 bytes cannot hold the 6422528-byte workspace of one image");
  }

  @Test
  void depthwiseRunsOneChannelAtATimeWithItsTapsOnTheRows() {
    GemmTile dw = new GemmTile(32, 32, 3, 3, 1, 24 * 24, 26 * 26, 1, true);
    SystolicEngine.Timing t = engine("rows=128").time(dw);
    assertThat(t.folds()).isEqualTo(32);
    assertThat(t.macs()).isEqualTo(32L * 9 * 24 * 24);
  }

  @Test
  void theExplicitMatrixComesFromOffChipAndIsStreamedWhenItDoesNotFit() {
    GemmTile big = GemmTile.conv(224, 64, 64, 3, 1, 8);
    SystolicEngine.Timing t = engine("sram=1MiB,im2col=explicit").time(big);
    assertThat(t.offChipBytes()).isEqualTo(224L * 224 * 8 * 64 * 9);
    assertThat(t.workspaceBytes()).isLessThan(1L << 20);
    assertThat(t.cycles()).isGreaterThanOrEqualTo(t.offChipCycles());
    assertThat(engine("sram=8MiB,im2col=implicit").time(big).offChipBytes()).isZero();
  }

  @Test
  void theShapedNetworksHaveThePublishedMacCounts() {
    // ResNet-50 ~4.1 GMAC and VGG-16 ~15.5 GMAC per 224x224 image.
    assertThat(NetworkShapes.macs(NetworkShapes.resnet50()) / 1e9).isCloseTo(4.1, within(0.1));
    assertThat(NetworkShapes.macs(NetworkShapes.vgg16()) / 1e9).isCloseTo(15.5, within(0.1));
    assertThat(NetworkShapes.resnet50()).hasSize(1 + 16 * 3 + 4 + 1);
    assertThat(NetworkShapes.vgg16()).hasSize(16);
  }
}
