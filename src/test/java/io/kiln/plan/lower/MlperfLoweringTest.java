package io.kiln.plan.lower;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.Requant;
import io.kiln.ir.Verifier;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.plan.dispatch.DispatchResult.LayerDispatch;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.PlannedDispatch;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.schedule.LayerPlanner;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Lowering of the real MLPerf Tiny models on DIANA under every policy (with {@code --ternarize}
 * where the analog array needs it) and on a DLA: every lowered graph verifies, keeps the
 * dispatch's nodes, runs in the interpreter, and the numeric report has a finite-or-exact SQNR
 * for every rewritten layer.
 */
class MlperfLoweringTest {

  static Lowered lowered(Graph g, String target, Policy p, boolean ternarize) {
    HardwareDescription hw = Targets.resolve(target);
    PlannedDispatch planned = PlannedDispatch.of(g, hw, new Dispatcher.Options(p, ternarize,
        null), new LayerPlanner(hw, SolverKind.BNB.create()));
    DispatchResult d = planned.dispatch();
    Lowered l = Lowering.lower(d, hw, new Lowering.Options(ternarize));
    Verifier.verify(l.graph());
    assertThat(l.graph().nodes()).hasSameSizeAs(g.nodes());
    for (int i = 0; i < g.nodes().size(); i++) {
      assertThat(l.graph().nodes().get(i).outputs()).isEqualTo(g.nodes().get(i).outputs());
    }
    // Every layer on a shift-only DIANA unit carries its shift stage.
    for (LayerDispatch ld : d.layers()) {
      Op op = l.graph().nodes().get(ld.index()).op();
      if (!ld.unit().equals("host") && target.equals("diana") && Op.constantSlots(op).isPresent()) {
        assertThat(Op.requant(op).orElseThrow()).as(ld.node().op().opName())
            .isInstanceOf(Requant.Shift.class);
      }
    }
    return l;
  }

  @ParameterizedTest
  @CsvSource({
      "kws_ref_model,digital,false", "kws_ref_model,analog,true", "kws_ref_model,mixed,true",
      "vww_96_int8,digital,false", "vww_96_int8,analog,true", "vww_96_int8,mixed,true",
      "pretrainedResnet_quant,digital,false", "pretrainedResnet_quant,analog,true",
      "pretrainedResnet_quant,mixed,true",
      "ad01_int8,digital,false", "ad01_int8,analog,true", "ad01_int8,mixed,true",
      "vww_96_float:pow2,digital,false", "vww_96_float:pow2,analog,true",
      "vww_96_float:pow2,mixed,true",
      "pretrainedResnet:pow2,digital,false", "pretrainedResnet:pow2,analog,true",
      "pretrainedResnet:pow2,mixed,true",
      "ad01_fp32:pow2,digital,false", "ad01_fp32:pow2,analog,true", "ad01_fp32:pow2,mixed,true"})
  void lowersVerifiesAndRunsOnDiana(String model, String policy, boolean ternarize) {
    Graph g = MlperfModels.load(model);
    Lowered l = lowered(g, "diana", Policy.named(policy), ternarize);
    LoweringReport r = LoweringReport.of(g, l, MlperfModels.samples(g, 16, 2));
    assertThat(r.layers()).hasSameSizeAs(l.rewrites());
    assertThat(r.layers()).allMatch(x -> !Double.isNaN(x.sqnrDb()));
    assertThat(r.agreement().samples()).isEqualTo(2);
  }

  /**
   * On the power-of-two models diana's digital array runs every conv, depthwise and FC layer,
   * exactly as the shift stages say; the outputs stay close to the int8 graph's.
   */
  @ParameterizedTest
  @CsvSource({"vww_96_float:pow2", "pretrainedResnet:pow2", "ad01_fp32:pow2"})
  void digitalRunsEveryWeightedLayerOfThePow2Models(String model) {
    Graph g = MlperfModels.load(model);
    Lowered l = lowered(g, "diana", Policy.DIGITAL, false);
    HardwareDescription hw = Targets.resolve("diana");
    DispatchResult d = Dispatcher.dispatch(g, hw, Dispatcher.Options.of(Policy.DIGITAL));
    for (LayerDispatch ld : d.layers()) {
      if (Op.constantSlots(ld.node().op()).isPresent()) {
        assertThat(ld.unit()).as("%s %s: %s", model, ld.node().op().opName(), ld.rejections())
            .isEqualTo("digital");
      }
    }
    LoweringReport r = LoweringReport.of(g, l, MlperfModels.samples(g, 16, 2));
    assertThat(r.minSqnrDb()).as(r.format()).isGreaterThan(20);
  }

  @ParameterizedTest
  @CsvSource({"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8",
      "vww_96_float:pow2"})
  void dlaLeavesTheGraphAlone(String model) {
    Graph g = MlperfModels.load(model);
    for (String dla : new String[] {"dla", "dla:pe=128,par=input,dw=emulated"}) {
      assertThat(lowered(g, dla, Policy.FIRST, false).graph()).isSameAs(g);
    }
  }
}
