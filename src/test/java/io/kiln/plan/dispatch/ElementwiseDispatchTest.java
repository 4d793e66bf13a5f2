package io.kiln.plan.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Shape;
import io.kiln.passes.GraphIndex;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.OpPattern;
import io.kiln.target.Targets;
import io.kiln.testing.PlanGraphs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Element-wise operators, standalone activations and pooling against the dla patterns. */
class ElementwiseDispatchTest {
  static final HardwareDescription DLA = Targets.resolve("dla");

  /** dla with the requantization schemes of its {@code op} pattern replaced. */
  static HardwareDescription withRequant(OpPattern.Op op, List<RequantScheme> schemes) {
    Accelerator a = DLA.accelerators().get(0);
    List<OpPattern> ps = a.patterns().stream().map(p -> p.op() != op ? p : new OpPattern(p.name(), p.op(),
        p.unroll(), p.kernelSizes(), p.strides(), p.dilations(), p.depthwise(), p.weights(), p.inputBits(),
        p.outputs(), schemes, p.activations(), p.fuses(), p.maxInputChannels(), p.maxOutputChannels())).toList();
    Accelerator changed = a.withPatterns(ps);
    return new HardwareDescription(DLA.name(), DLA.description(), DLA.clockHz(), DLA.memories(), DLA.dmas(),
        DLA.cpu(), List.of(changed));
  }

  static Graph add(double lhs, double rhs, double out, Shape rhsShape) {
    PlanGraphs p = new PlanGraphs(1);
    int a = p.input(8, 8, 32, lhs);
    int b = p.input(rhsShape, rhs);
    return p.build(p.add(a, b, out, Op.Activation.RELU));
  }

  static DispatchResult.LayerDispatch only(Graph g, HardwareDescription hw) {
    return Dispatcher.dispatch(g, hw, Dispatcher.Options.of(Policy.FIRST)).layers().get(0);
  }

  @Test
  void addWithTfliteRescalingRunsOnTheFixedPointSinglePointProcessor() {
    var l = only(add(0.3, 0.7, 0.9, Shape.of(1, 8, 8, 32)), DLA);
    assertThat(l.unit()).isEqualTo("dla");
    assertThat(l.accepted()).singleElement().satisfies(a -> assertThat(a.pattern()).isEqualTo("add"));
    assertThat(l.layer().orElseThrow().pattern()).isEqualTo("add_requant_act");
  }

  @Test
  void aShiftOnlyAddNeedsEachOperandsRatioToBeAPowerOfTwo() {
    HardwareDescription shift = withRequant(OpPattern.Op.ADD, List.of(RequantScheme.SHIFT));
    assertThat(only(add(0.25, 0.5, 0.5, Shape.of(1, 8, 8, 32)), shift).unit()).isEqualTo("dla");
    var l = only(add(0.25, 0.3, 0.5, Shape.of(1, 8, 8, 32)), shift);
    assertThat(l.unit()).isEqualTo("host");
    assertThat(l.rejections()).singleElement().satisfies(r -> assertThat(r.reason()).isEqualTo(
        "requant scale rhs/out = 0.600000 is not a power of two, but dla.dla requantizes by shift only;"
            + " quantize with 'kiln quantize --scales pow2'"));
    HardwareDescription raw = withRequant(OpPattern.Op.ADD, List.of());
    assertThat(only(add(0.25, 0.5, 0.5, Shape.of(1, 8, 8, 32)), raw).rejections()).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(
            "requantization to i8 not supported by dla.dla: it writes raw accumulators only"));
  }

  @Test
  void mulRescalesTheProductOnce() {
    PlanGraphs p = new PlanGraphs(2);
    int a = p.input(4, 4, 8, 0.5);
    int b = p.input(4, 4, 8, 0.25);
    Graph g = p.build(p.mul(a, b, 0.3, Op.Activation.NONE));
    assertThat(only(g, DLA).unit()).isEqualTo("dla");
    var l = only(g, withRequant(OpPattern.Op.MUL, List.of(RequantScheme.SHIFT)));
    assertThat(l.rejections()).singleElement().satisfies(r -> assertThat(r.reason())
        .startsWith("requant scale in·rhs/out = 0.416667 is not a power of two"));
  }

  @Test
  void broadcastingOperandsStayOnTheHostWithTheReason() {
    var l = only(add(0.25, 0.5, 0.5, Shape.of(32)), DLA);
    assertThat(l.unit()).isEqualTo("host");
    assertThat(l.rejections()).singleElement().satisfies(r -> assertThat(r.reason()).isEqualTo(
        "broadcast [1,8,8,32] with [32] not supported by dla.dla: operands must have equal shapes"));
  }

  @Test
  void standaloneActivationsMatchTheirNamedPatternAndFunction() {
    for (Op op : List.of(new Op.Relu(), new Op.Relu6(), new Op.Logistic(), new Op.Tanh())) {
      PlanGraphs p = new PlanGraphs(3);
      int x = p.input(4, 4, 8, 0.5);
      Graph g = p.build(p.unary(op, x, op instanceof Op.Logistic ? 1.0 / 256 : 0.5));
      var l = only(g, DLA);
      assertThat(l.layer().orElseThrow().pattern()).isEqualTo("activation_requant");
      assertThat(l.unit()).as(op.opName()).isEqualTo("dla");
    }
  }

  @Test
  void anActivationTheUnitDoesNotComputeIsRejected() {
    Accelerator a = DLA.accelerators().get(0);
    List<OpPattern> ps = a.patterns().stream().map(p -> p.op() != OpPattern.Op.ACTIVATION ? p
        : new OpPattern(p.name(), p.op(), p.unroll(), p.kernelSizes(), p.strides(), p.dilations(), p.depthwise(),
            p.weights(), p.inputBits(), p.outputs(), p.requant(), List.of(OpPattern.ActivationFn.RELU), p.fuses(),
            p.maxInputChannels(), p.maxOutputChannels())).toList();
    HardwareDescription reluOnly = new HardwareDescription(DLA.name(), DLA.description(), DLA.clockHz(),
        DLA.memories(), DLA.dmas(), DLA.cpu(), List.of(a.withPatterns(ps)));
    PlanGraphs p = new PlanGraphs(4);
    Graph g = p.build(p.unary(new Op.Tanh(), p.input(4, 4, 8, 0.5), 1.0 / 128));
    assertThat(only(g, reluOnly).rejections()).singleElement().satisfies(r -> assertThat(r.reason())
        .isEqualTo("activation tanh not supported by dla.dla: computes relu"));
  }

  @Test
  void aReluThatRescalesNeedsTheScheme() {
    PlanGraphs p = new PlanGraphs(5);
    Graph same = p.build(p.unary(new Op.Relu(), p.input(4, 4, 8, 0.5), 0.5));
    Layer l = LayerPatterns.match(new GraphIndex(same), same.nodes().get(0)).layer().orElseThrow();
    assertThat(Requant.of(l)).isEmpty();
    PlanGraphs q = new PlanGraphs(6);
    Graph rescaled = q.build(q.unary(new Op.Relu(), q.input(4, 4, 8, 0.5), 0.3));
    Layer r = LayerPatterns.match(new GraphIndex(rescaled), rescaled.nodes().get(0)).layer().orElseThrow();
    assertThat(Requant.of(r)).singleElement().asString().startsWith("in/out = 1.66667");
  }

  @Test
  void maxPoolingRescalesNothingSoItNeedsNoScheme() {
    PlanGraphs p = new PlanGraphs(7);
    Graph g = p.build(p.pool(p.input(8, 8, 16, 0.5), true, 2, 2, Op.Pads.NONE));
    // dla's max_pool pattern declares no requantization: none is needed.
    assertThat(only(g, DLA).unit()).isEqualTo("dla");
  }

  @Test
  void averagePoolingDividesByEveryClippedWindowCount() {
    PlanGraphs p = new PlanGraphs(8);
    Graph g = p.build(p.pool(p.input(5, 5, 4, 0.5), false, 3, 2, new Op.Pads(1, 1, 1, 1)));
    Layer l = LayerPatterns.match(new GraphIndex(g), g.nodes().get(0)).layer().orElseThrow();
    // 3x3 windows every 2 over 5 rows padded by 1: rows covered 2, 3, 2 → counts 4, 6, 9.
    assertThat(Requant.of(l)).extracting(Requant.Ratio::what).containsExactly("1/9", "1/6", "1/4");
    var shift = only(g, withRequant(OpPattern.Op.AVG_POOL, List.of(RequantScheme.SHIFT)));
    assertThat(shift.rejections()).singleElement().satisfies(r -> assertThat(r.reason())
        .startsWith("requant scale 1/9 = 0.111111 (average of 9 elements) is not a power of two"));
  }
}
