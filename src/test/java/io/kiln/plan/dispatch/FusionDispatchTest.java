package io.kiln.plan.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.passes.GraphIndex;
import io.kiln.target.HardwareDescription;
import io.kiln.target.OpPattern;
import io.kiln.target.Targets;
import io.kiln.testing.PlanGraphs;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fused conv patterns and their stage rules on DIANA, positive and negative. */
class FusionDispatchTest {
  static final HardwareDescription DIANA = Targets.resolve("diana");

  /**
   * x → conv (ternary weights; in·w/out = 0.5·0.25/0.125 = 1) → Add with a skip input → out.
   * Returns the graph; node 0 is the conv, node 1 the Add.
   */
  static Graph convAdd(double skipScale, double addOut, boolean convOnLeft) {
    PlanGraphs p = new PlanGraphs(1);
    int x = p.input(8, 8, 16, 0.5);
    int skip = p.input(8, 8, 16, skipScale);
    int y = p.conv(x, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.NONE);
    int out = convOnLeft ? p.add(y, skip, addOut, Op.Activation.RELU) : p.add(skip, y, addOut, Op.Activation.RELU);
    return p.build(out);
  }

  static DispatchResult dispatch(Graph g, Policy policy, boolean narrow) {
    return Dispatcher.dispatch(g, DIANA, new Dispatcher.Options(policy, narrow, null));
  }

  @Test
  void convThenResidualAddFusesOnAnalogWithEitherOperandOrder() {
    for (boolean left : new boolean[] {true, false}) {
      DispatchResult d = dispatch(convAdd(0.25, 0.25, left), Policy.ANALOG, true);
      var conv = d.layers().get(0);
      assertThat(conv.unit()).isEqualTo("analog");
      assertThat(conv.layer().orElseThrow().pattern()).isEqualTo("conv2d_bias_requant_add_act");
      assertThat(conv.layer().get().fused()).singleElement()
          .satisfies(f -> assertThat(f.stage()).isEqualTo(OpPattern.FusedStage.RESIDUAL_ADD));
      var add = d.layers().get(1);
      assertThat(add.fusedInto()).hasValue(0);
      assertThat(add.unit()).isEqualTo("analog");
    }
  }

  @Test
  void digitalDoesNotFuseResidualAddsAndSaysSo() {
    DispatchResult d = dispatch(convAdd(0.25, 0.25, true), Policy.DIGITAL, true);
    assertThat(d.layers().get(0).unit()).isEqualTo("digital");
    assertThat(d.layers().get(0).layer().get().fused()).isEmpty();
    var add = d.layers().get(1);
    assertThat(add.fused()).isFalse();
    assertThat(add.unit()).isEqualTo("host");
    assertThat(add.rejections()).filteredOn(r -> r.unit().equals("digital")).singleElement()
        .satisfies(r -> assertThat(r.reason()).contains("not fused into %" + d.layers().get(0).node().output()
            + " (conv2d_bias_requant_add_act) on diana.digital: residual_add (Add %"
            + add.node().output() + ") not fused by diana.digital: its conv2d pattern fuses bias, max_pool"));
  }

  @Test
  void shiftOnlyResidualNeedsPowerOfTwoScalesUnlessTernarizing() {
    Graph g = convAdd(0.3, 0.25, true);
    Layer fused = LayerPatterns.fusions(new GraphIndex(g)).get(0).get(0);
    var analog = DIANA.accelerator("analog").orElseThrow();
    var site = new DispatchRule.Site("diana", analog, analog.patterns(OpPattern.Op.CONV2D).get(0), false);
    assertThat(FusedRules.FUSED_REQUANT.apply(fused, site)).isInstanceOf(Verdict.Reject.class)
        .asString().contains("requant scale skip/out = 1.20000 (residual add %").contains(
            "diana.analog requantizes by shift only").contains("or plan with --ternarize");
    var narrowing = new DispatchRule.Site("diana", analog, site.pattern(), true);
    assertThat(FusedRules.FUSED_REQUANT.apply(fused, narrowing)).isEqualTo(Verdict.PASS);
    Layer exact = LayerPatterns.fusions(new GraphIndex(convAdd(0.25, 0.25, true))).get(0).get(0);
    assertThat(FusedRules.FUSED_REQUANT.apply(exact, site)).isEqualTo(Verdict.PASS);
  }

  @Test
  void theAddsActivationMustBeOneTheOutputStageFuses() {
    PlanGraphs p = new PlanGraphs(2);
    int x = p.input(8, 8, 16, 0.5);
    int skip = p.input(8, 8, 16, 0.25);
    int y = p.conv(x, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.NONE);
    Graph g = p.build(p.add(y, skip, 0.25, Op.Activation.RELU6));
    Layer fused = LayerPatterns.fusions(new GraphIndex(g)).get(0).get(0);
    var analog = DIANA.accelerator("analog").orElseThrow();
    assertThat(Dispatcher.check(fused, new DispatchRule.Site("diana", analog,
        analog.patterns(OpPattern.Op.CONV2D).get(0), true))).containsExactly(
            "activation relu6 of the fused residual_add %" + g.nodes().get(1).output()
                + " not supported by diana.analog: fuses relu");
  }

  @Test
  void aBroadcastSkipTensorDoesNotFuse() {
    PlanGraphs p = new PlanGraphs(9);
    int x = p.input(8, 8, 16, 0.5);
    int bias = p.input(io.kiln.ir.Shape.of(16), 0.25);
    int y = p.conv(x, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.NONE);
    Graph g = p.build(p.add(y, bias, 0.25, Op.Activation.NONE));
    Layer fused = LayerPatterns.fusions(new GraphIndex(g)).get(0).get(0);
    var analog = DIANA.accelerator("analog").orElseThrow();
    assertThat(FusedRules.FUSED_GEOMETRY.apply(fused, new DispatchRule.Site("diana", analog,
        analog.patterns(OpPattern.Op.CONV2D).get(0), true))).asString().contains(
            "broadcast [1,8,8,16] with [16] in the fused residual_add %" + g.nodes().get(1).output()
                + " not supported by diana.analog: the skip tensor must have the conv output's shape");
    assertThat(FusedRules.FUSED_GEOMETRY.apply(
        LayerPatterns.fusions(new GraphIndex(convAdd(0.25, 0.25, true))).get(0).get(0),
        new DispatchRule.Site("diana", analog, analog.patterns(OpPattern.Op.CONV2D).get(0), true)))
        .isEqualTo(Verdict.PASS);
    assertThat(dispatch(g, Policy.ANALOG, true).layers().get(1).fused()).isFalse();
  }

  @Test
  void convThenMaxPoolFusesOnDigitalWithWholeWindows() {
    PlanGraphs p = new PlanGraphs(3);
    int x = p.input(16, 16, 16, 0.5);
    int y = p.conv(x, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.RELU);
    Graph g = p.build(p.pool(y, true, 2, 2, Op.Pads.NONE));
    DispatchResult d = dispatch(g, Policy.DIGITAL, false);
    assertThat(d.layers().get(0).layer().orElseThrow().pattern()).isEqualTo("conv2d_bias_requant_act_pool");
    assertThat(d.layers().get(1).fusedInto()).hasValue(0);
    // Analog fuses pooling too, but without narrowing the 8-bit inputs keep the conv off it.
    assertThat(dispatch(g, Policy.ANALOG, false).layers().get(0).unit()).isEqualTo("digital");
  }

  @Test
  void overlappingOrPaddedPoolingDoesNotFuse() {
    PlanGraphs p = new PlanGraphs(4);
    int x = p.input(16, 16, 16, 0.5);
    int y = p.conv(x, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.RELU);
    Graph g = p.build(p.pool(y, true, 3, 2, Op.Pads.NONE));
    DispatchResult d = dispatch(g, Policy.DIGITAL, false);
    assertThat(d.layers().get(0).layer().get().fused()).isEmpty();
    assertThat(d.layers().get(1).unit()).isEqualTo("host");
    assertThat(d.layers().get(1).rejections()).anyMatch(r -> r.reason().contains(
        "pooling window 3x3 stride 2x2 of the fused max_pool %" + d.layers().get(1).node().output()
            + " not supported by diana.digital: a fused pooling needs non-overlapping windows"));
  }

  @Test
  void averagePoolingOnAShiftOnlyStageNeedsAPowerOfTwoWindow() {
    for (int f : new int[] {2, 3}) {
      PlanGraphs p = new PlanGraphs(5);
      int x = p.input(12, 12, 16, 0.5);
      int y = p.conv(x, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.RELU);
      Graph g = p.build(p.pool(y, false, f, f, Op.Pads.NONE));
      DispatchResult d = dispatch(g, Policy.ANALOG, true);
      if (f == 2) {
        assertThat(d.layers().get(1).fusedInto()).hasValue(0);
      } else {
        assertThat(d.layers().get(1).fused()).isFalse();
        assertThat(d.reasons()).anyMatch(r -> r.contains("requant scale 1/9 = 0.111111 (average of 9 elements)"
            + " is not a power of two, but diana.analog requantizes by shift only; an average over a"
            + " power-of-two number of elements would be one"));
      }
    }
  }

  @Test
  void convAddPoolChainFusesIntoOneCall() {
    PlanGraphs p = new PlanGraphs(6);
    int x = p.input(8, 8, 16, 0.5);
    int skip = p.input(8, 8, 16, 0.25);
    int y = p.conv(x, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.NONE);
    int sum = p.add(skip, y, 0.25, Op.Activation.RELU);
    Graph g = p.build(p.pool(sum, false, 8, 8, Op.Pads.NONE));
    DispatchResult d = dispatch(g, Policy.ANALOG, true);
    assertThat(d.layers().get(0).layer().get().pattern()).isEqualTo("conv2d_bias_requant_add_act_pool");
    assertThat(d.layers().get(1).fusedInto()).hasValue(0);
    assertThat(d.layers().get(2).fusedInto()).hasValue(0);
  }

  @Test
  void aConvWithOtherReadersOrASkipComputedLaterDoesNotFuse() {
    // The conv's output is also a graph output: fusing would lose it.
    PlanGraphs p = new PlanGraphs(7);
    int x = p.input(8, 8, 16, 0.5);
    int skip = p.input(8, 8, 16, 0.25);
    int y = p.conv(x, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.NONE);
    Graph twice = p.build(p.add(y, skip, 0.25, Op.Activation.NONE), y);
    assertThat(LayerPatterns.fusions(new GraphIndex(twice))).isEmpty();
    // Two convs feed the Add: it anchors at the later one, whose skip (the earlier conv) exists.
    PlanGraphs q = new PlanGraphs(8);
    int in = q.input(8, 8, 16, 0.5);
    int a = q.conv(in, 16, 3, 1, 1, 0.25, 0.125, Op.Activation.NONE);
    int b = q.conv(in, 16, 1, 1, 0, 0.25, 0.125, Op.Activation.NONE);
    Graph both = q.build(q.add(a, b, 0.25, Op.Activation.RELU));
    Map<Integer, List<Layer>> f = LayerPatterns.fusions(new GraphIndex(both));
    assertThat(f).containsOnlyKeys(1);
    assertThat(f.get(1).get(0).fused().get(0).skip().orElseThrow().id()).isEqualTo(a);
  }

  @Test
  void aRefusedFusionLeavesTheNodesApartWithTheReason() {
    Graph g = convAdd(0.25, 0.25, true);
    var o = new Dispatcher.Options(Policy.ANALOG, true, null).refusing(
        new Dispatcher.Refusal(0, "conv2d_bias_requant_add_act"), "no tiling fits: too big");
    DispatchResult d = Dispatcher.dispatch(g, DIANA, o);
    assertThat(d.layers().get(0).layer().get().fused()).isEmpty();
    assertThat(d.layers().get(1).fused()).isFalse();
    assertThat(d.reasons()).anyMatch(r -> r.contains("not fused into %" + g.nodes().get(0).output()
        + " (conv2d_bias_requant_add_act) on diana.analog: no tiling fits: too big"));
  }
}
