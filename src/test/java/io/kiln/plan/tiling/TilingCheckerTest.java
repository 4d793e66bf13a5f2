package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker accepts a good tiling and names what is wrong with broken ones; halo windows. */
class TilingCheckerTest {

  private static final LayerShape CONV = LayerShape.convSame(16, 8, 12, 12, 3, 3, 1);
  private static final TileProblem P = new TileProblem(CONV, ElementSizes.int8(), new Memories(4096, 0, true),
      List.of(new TileConstraint.MultipleOf(Dim.K, 4)), Objective.memoryOnly());

  private static Tiling valid() {
    return Tiling.of(P, new int[] {8, 8, 5, 12});
  }

  private static Tiling with(Tiling t, int tilesOY, int inputRows, Footprint f) {
    return new Tiling(t.tileK(), t.tileC(), t.tileOY(), t.tileOX(), inputRows, t.inputCols(), t.tilesK(), t.tilesC(),
        tilesOY, t.tilesOX(), f, t.objective());
  }

  @Test
  void acceptsAValidTiling() {
    assertThat(TilingChecker.check(P, valid())).isEmpty();
  }

  @Test
  void flagsAWrongTileCount() {
    Tiling t = valid();
    assertThat(TilingChecker.check(P, with(t, 2, t.inputRows(), t.footprint())))
        .contains("OY has 3 tiles but the tiling says 2");
  }

  @Test
  void flagsAnInputBufferSmallerThanAHalo() {
    Tiling t = valid();
    assertThat(TilingChecker.check(P, with(t, t.tilesOY(), 5, t.footprint())))
        .anyMatch(e -> e.startsWith("input buffer 5x12 is smaller than the largest window 7x12"));
  }

  @Test
  void flagsAnUnderstatedReservationAndAnOverflow() {
    Tiling t = valid();
    Footprint f = t.footprint();
    Footprint small = new Footprint(f.inputRows(), f.inputCols(), 1, 1, 1, 1, 4, 0, 4, 0);
    assertThat(TilingChecker.check(P, with(t, t.tilesOY(), t.inputRows(), small)))
        .anyMatch(e -> e.startsWith("tiling reserves 4 B of L1 but a tile needs"));
    Tiling big = Tiling.of(P, new int[] {16, 8, 12, 12});
    assertThat(TilingChecker.check(P, big)).anyMatch(e -> e.contains("> budget 4096 B"));
  }

  @Test
  void flagsBrokenConstraintsAndTilesOutOfRange() {
    assertThat(TilingChecker.check(P, Tiling.of(P, new int[] {6, 8, 5, 12})))
        .contains("tile K=6 breaks constraint 'K multiple of 4'");
    assertThat(TilingChecker.check(P, Tiling.of(P, new int[] {17, 8, 5, 12}))).containsExactly("K tile 17 is outside 1..16");
  }

  @Test
  void haloWindowsAreClippedAtTheBordersAndSkipUnreadDilatedRows() {
    // 3×3, stride 1, SAME padding 1: rows 0..4 read input rows 0..5 (top padding never loaded).
    assertThat(Halo.rows(CONV, new Span(0, 5))).isEqualTo(new Span(0, 6));
    assertThat(Halo.rows(CONV, new Span(5, 5))).isEqualTo(new Span(4, 7));
    assertThat(Halo.rows(CONV, new Span(10, 2))).isEqualTo(new Span(9, 3));
    // Dilation 2, padding 1: output row 0 taps rows -1, 1, 3, so row 0 is never read.
    LayerShape dil = LayerShape.conv(1, 1, 8, 8, 3, 3, 1, 2, 1, 1, 1, 1);
    assertThat(Halo.rows(dil, new Span(0, 1))).isEqualTo(new Span(1, 3));
    assertThat(Halo.rows(dil, new Span(0, 2))).isEqualTo(new Span(0, 5));
    // Stride 2: 3 output rows need (3-1)·2 + 3 = 7 input rows away from the border.
    LayerShape s2 = LayerShape.conv(1, 1, 16, 16, 3, 3, 2, 1, 0, 0, 0, 0);
    assertThat(Halo.rows(s2, new Span(2, 3))).isEqualTo(new Span(4, 7));
    assertThat(s2.inputRowsFor(3)).isEqualTo(7);
  }

  @Test
  void layerShapeRejectsImpossibleGeometry() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LayerShape(4, 4, 8, 8, 10, 8, 3, 3, 1, 1, 1, 1, 1, 1, false))
        .hasMessageContaining("start past the 8 input rows");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> LayerShape.conv(4, 4, 8, 8, 3, 3, 1, 1, 3, 3, 0, 0))
        .hasMessageContaining("is as large as the kernel's reach");
  }
}
