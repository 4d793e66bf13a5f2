package io.kiln.plan.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.target.Accelerator;
import io.kiln.target.OpPattern;
import io.kiln.target.Sparsity;
import io.kiln.testing.SparseLayers;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * How DIANA's digital array times an N:M tile ({@link ArrayWork#work(Accelerator, OpPattern,
 * LayerGeometry, int, int, int, int)}): a unit that skips zeros reduces in ceil(c·FY·FX / M)·N steps
 * and executes only the stored values' MACs; its row loads stay; without {@code skip_zeros}, or
 * without declaring the format, the tile is timed dense.
 */
class SparseArrayWorkTest {
  private static final Graph CONV = SparseLayers.layer(new Random(1), new Encoding.NM(1, 4), 8, 8, 16, 16, 3);

  private static ArrayWork.Work work(Sparsity s, int c) {
    Accelerator a = SparseLayers.withSparsity(io.kiln.target.Targets.resolve("diana"), s).accelerator("digital")
        .orElseThrow();
    LayerGeometry geo = LayerGeometry.of(CONV, CONV.nodes().get(0), List.of()).orElseThrow();
    assertThat(geo.nmWeights()).contains(new Encoding.NM(1, 4));
    return ArrayWork.work(a, a.patterns(OpPattern.Op.CONV2D).get(0), geo, 16, c, 8, 8);
  }

  @Test
  void skippedZerosShortenTheReductionOnly() {
    ArrayWork.Work dense = work(Sparsity.NONE, 16);
    assertThat(dense.reductionSteps()).isEqualTo(16 * 9);
    assertThat(dense.macs()).isEqualTo(16L * 16 * 9 * 64);
    ArrayWork.Work sparse = work(SparseLayers.DIGITAL, 16);
    assertThat(sparse.reductionSteps()).isEqualTo(36);
    assertThat(sparse.rowLoads()).isEqualTo(dense.rowLoads());
    assertThat(sparse.outputBlocks()).isEqualTo(dense.outputBlocks());
    assertThat(sparse.macs()).isEqualTo(16L * 36 * 64);
    // A C tile of 4 channels: 36 weights, 9 groups of 4.
    assertThat(work(SparseLayers.DIGITAL, 4).reductionSteps()).isEqualTo(9);
  }

  @Test
  void aUnitThatDoesNotSkipZerosIsTimedDense() {
    Sparsity storeOnly = new Sparsity(SparseLayers.DIGITAL.formats(), 4, false);
    assertThat(work(storeOnly, 16)).isEqualTo(work(Sparsity.NONE, 16));
  }
}
