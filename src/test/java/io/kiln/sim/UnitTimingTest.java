package io.kiln.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import org.junit.jupiter.api.Test;

/**
 * The unit timing models reproduce what is known of the hardware on single layers: DIANA's
 * digital array (its published per-block model, the depthwise ceiling, the small loss of a full
 * conv call), its analog array, and an NVDLA-like array of Atomic-C × Atomic-K MACs.
 */
class UnitTimingTest {
  @Test
  void anEightChannelConvUsesAnEighthOfAnAtomicArray() {
    HardwareDescription hw = LayerSweep.atomicDla();
    Graph g = LayerSweep.graph(LayerSweep.Kind.CONV3X3, 8, 16, 8);
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.FIRST, false, SolverKind.BNB));
    Step.AcceleratorCall call = p.plan().calls().get(0);
    long macs = 0;
    long cycles = 0;
    for (TileJob j : call.jobs()) {
      io.kiln.plan.schedule.ArrayWork.Work w = UnitTiming.work(call, j);
      macs += w.macs();
      cycles += w.steps();
    }
    // C = 8 of Atomic-C 16 and K = 16 of Atomic-K 64: 128 of 1024 MACs busy each cycle.
    assertThat((double) macs / (cycles * hw.accelerators().get(0).peakMacsPerCycle())).isEqualTo(1.0 / 8);
    Simulation s = SimulatorTest.simulate(g, hw, Policy.FIRST, false, 2);
    assertThat(s.check().orElseThrow().matched()).isTrue();
  }

  private static LayerSweep.Row diana(LayerSweep.Kind kind, int c, int k, int hw, Policy p) {
    return LayerSweep.run(kind, c, k, hw, Targets.resolve("diana"), p, p == Policy.ANALOG);
  }

  @Test
  void dianaDigitalFollowsItsPublishedBlockModel() {
    // Per block of 256 outputs: C*FY*FX + 2*C*FY + 23 cycles. A 3x3 conv of 16 channels on a
    // 32x32 map with K = 16 has 32 rows x 2 OX blocks of 144 + 96 + 23 cycles.
    LayerSweep.Row conv = diana(LayerSweep.Kind.CONV3X3, 16, 16, 32, Policy.DIGITAL);
    assertThat(conv.unit()).isEqualTo("digital");
    assertThat(conv.peakCycles()).isEqualTo(32L * 2 * (144 + 96 + 23));
    // Depthwise on one row of PEs: about 3.75 MAC/cycle at most, whatever the size.
    for (int size : new int[] {8, 32}) {
      LayerSweep.Row dw = diana(LayerSweep.Kind.DEPTHWISE, 64, 64, size, Policy.DIGITAL);
      assertThat(dw.peakMacsPerCycle()).isBetween(3.7, 3.8);
      // A full depthwise kernel call stays within ~21% of that peak.
      assertThat(dw.kernelCycles()).isLessThan((long) (1.21 * dw.peakCycles()));
    }
    // The best full conv call loses little (published: ~1.3%).
    LayerSweep.Row big = diana(LayerSweep.Kind.CONV3X3, 16, 64, 64, Policy.DIGITAL);
    assertThat(big.kernelLoss()).isLessThan(0.02);
    // A small FC layer (a 1x1 conv with one busy row) loses up to about half its call to the
    // runtime overhead and its weight transfer (published: up to ~55%).
    LayerSweep.Row fc = diana(LayerSweep.Kind.FC, 64, 64, 1, Policy.DIGITAL);
    assertThat(fc.peakCycles()).isEqualTo(4L * (64 + 2 * 64 + 23));
    assertThat(fc.kernelLoss()).isBetween(0.3, 0.6);
    for (LayerSweep.Row r : new LayerSweep.Row[] {conv, big, fc}) {
      assertThat(r.matched()).isTrue();
    }
  }

  @Test
  void dianaAnalogConvCallsRunNearTheArrayPeak() {
    // One 16-cycle array step per output pixel; a well-shaped conv's call is a few % slower.
    LayerSweep.Row conv = diana(LayerSweep.Kind.CONV3X3, 16, 64, 64, Policy.ANALOG);
    assertThat(conv.unit()).isEqualTo("analog");
    assertThat(conv.peakCycles()).isGreaterThanOrEqualTo(64L * 64 * 16);
    assertThat(conv.kernelLoss()).isBetween(0.001, 0.06);
    assertThat(conv.matched()).isTrue();
  }
}
