package io.kiln.plan.weights;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.schedule.Transfer;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The systolic preset's {@code array_tiles} weights on real plans: every blob is the layer's
 * weights and records with at most the 15 bytes that align the records, every weight DMA moves
 * exactly its tile's weights, and the tiles are still cut on the array's rows and columns.
 */
class SystolicWeightTilesTest {

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({"kws_ref_model, systolic", "kws_ref_model, 'systolic:rows=32,cols=16,word=2,sram=16KiB,tiles=2'",
      "ad01_int8, 'systolic:rows=32,cols=16,word=2,sram=16KiB,im2col=explicit'",
      "vww_96_int8, 'systolic:rows=16,cols=16,sram=64KiB'"})
  void blobsAndWeightTransfersHoldTheRealWeightsOnly(String model, String target) {
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(SharedModels.file("mlperf-tiny/" + model + ".tflite").toString()));
    HardwareDescription hw = Targets.resolve(target);
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.named("first"), false, SolverKind.BNB));
    assertThat(DeploymentChecker.check(p.plan())).isEmpty();
    int rows = hw.accelerators().get(0).array().get(0).size();
    int cols = hw.accelerators().get(0).array().get(1).size();
    int calls = 0;
    boolean tiled = false;
    for (Step s : p.plan().steps()) {
      if (!(s instanceof Step.AcceleratorCall c) || c.unit().kind() != Accelerator.Kind.SYSTOLIC
          || c.blobLayout().isEmpty()) {
        continue;
      }
      calls++;
      BlobLayout blob = c.blobLayout().get();
      LayerShape l = c.geometry().shape();
      assertThat(blob.weights()).isInstanceOf(Arrangement.ArrayTiles.class);
      assertThat(blob.weights().bytes()).isEqualTo(blob.weights().weights());
      assertThat(blob.paddingBytes()).isBetween(0L, 15L);
      assertThat(c.blob().orElseThrow().bytes()).isEqualTo(blob.bytes());
      long taps = (long) l.fy() * l.fx();
      for (DmaDescriptor d : c.transfers()) {
        if (d.kind() != Transfer.Kind.WEIGHTS) {
          continue;
        }
        TileJob j = c.jobs().get(d.tile());
        long want = (long) j.k().length() * (l.depthwise() ? 1 : j.c().length()) * taps;
        assertThat(d.run() * d.rows() * d.planes()).as("%s tile %d", l, d.tile()).isEqualTo(want);
      }
      for (TileJob j : c.jobs()) {
        tiled |= c.jobs().size() > 1;
        // Tiles start on the array's columns (K) and rows (C, implicit; a depthwise K tile is any).
        if (!l.depthwise()) {
          assertThat(j.k().start() % cols).isZero();
          assertThat(j.k().length() % cols == 0 || j.k().end() == l.k()).isTrue();
          if (j.c().length() < l.c() && hw.accelerators().get(0).systolic().orElseThrow().im2col()
              != io.kiln.target.SystolicParameters.Im2col.EXPLICIT) {
            assertThat(j.c().length() % rows == 0 || j.c().end() == l.c()).isTrue();
          }
        }
      }
    }
    assertThat(calls).isPositive();
    if (!target.equals("systolic")) {
      assertThat(tiled).as("the small SRAM cuts layers into tiles").isTrue();
    }
  }
}
