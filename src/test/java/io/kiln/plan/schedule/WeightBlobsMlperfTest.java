package io.kiln.plan.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.ir.Graph;
import io.kiln.passes.Pipeline;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.plan.dispatch.DispatchResult.LayerDispatch;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.lower.Ternarize;
import io.kiln.plan.tiling.BranchAndBoundSolver;
import io.kiln.plan.weights.BlobLayout;
import io.kiln.plan.weights.LayerConstants;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real weights of the MLPerf Tiny int8 models, dispatched and planned as {@code kiln plan}
 * does, through every accelerator layout of the presets: each accelerated layer's blob unpacks
 * to the IR's constants (after plan-time ternarization, which also makes the digital array's
 * shift-only requantization exact, so stock int8 models reach it), its padding is
 * zero, its weight transfers read exactly the tiles' weights (the plan checker), and the
 * network's placement passes its checker.
 */
class WeightBlobsMlperfTest {
  private static final List<String> MODELS = List.of("kws_ref_model", "vww_96_int8", "pretrainedResnet_quant",
      "ad01_int8");

  @ParameterizedTest
  @CsvSource({"diana, digital, true", "diana, analog, true", "diana, mixed, true", "dla, first, false",
      "'dla:pe=64,sram=512KiB,par=input', first, false"})
  void everyAcceleratedLayerPacksItsRealWeightsBijectively(String target, String policy, boolean ternarize) {
    SharedModels.root();
    HardwareDescription hw = Targets.resolve(target);
    int packed = 0;
    for (String m : MODELS) {
      Planned planned = plan(hw, m, policy, ternarize);
      DispatchResult d = planned.dispatch();
      NetworkSchedule s = planned.schedule();
      assertThat(WeightPlacementChecker.check(hw, s)).as(m).isEmpty();
      assertThat(s.placement().unplaced()).as(m).isEmpty();
      for (LayerPlan p : s.layers()) {
        assertThat(PlanChecker.check(p)).as(m + " " + p.node()).isEmpty();
        if (p.weightBlob().isEmpty()) {
          continue;
        }
        BlobLayout blob = p.weightBlob().get();
        LayerConstants constants = LayerConstants.of(d.graph(), p.node(), blob.params());
        byte[] bytes = blob.pack(constants);
        String what = m + " %" + p.node().output() + " on " + p.unit().name() + " (" + blob.describe() + ")";
        assertThat(bytes).as(what).hasSize((int) blob.bytes());
        assertThat(blob.unpack(bytes)).as(what).isEqualTo(constants);
        assertThat(paddingBitsSet(blob, bytes)).as(what + ": padding").isZero();
        packed++;
      }
    }
    assertThat(packed).as("accelerated layers").isPositive();
  }

  /** A dispatched model and its schedule. */
  record Planned(DispatchResult dispatch, NetworkSchedule schedule) {}

  /**
   * {@code model} dispatched on {@code hw} and planned as {@code kiln plan} plans it: each layer on
   * its unit, or on the CPU when its accelerator cannot tile it.
   */
  static Planned plan(HardwareDescription hw, String model, String policy, boolean ternarize) {
    Graph g = Pipeline.DEFAULT.apply(TfliteImporter.load(SharedModels.file("mlperf-tiny/" + model + ".tflite")));
    if (ternarize) {
      g = Ternarize.apply(g).graph();
    }
    DispatchResult d = Dispatcher.dispatch(g, hw, new Dispatcher.Options(Policy.named(policy), ternarize, null));
    LayerPlanner planner = new LayerPlanner(hw, new BranchAndBoundSolver());
    List<LayerPlan> plans = new ArrayList<>();
    for (LayerDispatch l : d.layers()) {
      Unit unit = hw.accelerator(l.unit()).<Unit>map(Unit.AcceleratorUnit::new).orElse(new Unit.CpuUnit(hw.cpu()));
      LayerPlanResult r = planner.plan(d.graph(), l.node(), unit);
      plans.add(r instanceof LayerPlan p ? p : (LayerPlan) planner.plan(d.graph(), l.node(),
          new Unit.CpuUnit(hw.cpu())));
    }
    return new Planned(d, NetworkSchedule.of(hw, d.graph(), plans));
  }

  /** Bits of the blob outside every weight's cell and the parameter records that are set. */
  static int paddingBitsSet(BlobLayout blob, byte[] bytes) {
    BitSet used = new BitSet();
    int bits = blob.weights().bits();
    var l = blob.shape();
    for (int k = 0; k < l.k(); k++) {
      for (int c = 0; c < (l.depthwise() ? 1 : l.c()); c++) {
        for (int fy = 0; fy < l.fy(); fy++) {
          for (int fx = 0; fx < l.fx(); fx++) {
            int at = (int) blob.weights().bitOffset(k, c, fy, fx);
            used.set(at, at + bits);
          }
        }
      }
    }
    used.set((int) (8 * blob.paramsOffset()), (int) (8 * blob.bytes()));
    BitSet set = BitSet.valueOf(bytes);
    set.andNot(used);
    return set.cardinality();
  }
}
