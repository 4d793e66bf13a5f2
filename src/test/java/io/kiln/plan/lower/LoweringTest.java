package io.kiln.plan.lower;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Op;
import io.kiln.ir.Requant;
import io.kiln.ir.Verifier;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.Policy;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.Golden;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Target-exact lowering of small networks on DIANA and DLA: goldens, positive and negative. */
class LoweringTest {
  static final HardwareDescription DIANA = Targets.resolve("diana");

  static DispatchResult dispatch(Graph g, String target, Policy p, boolean ternarize) {
    return Dispatcher.dispatch(g, Targets.resolve(target),
        new Dispatcher.Options(p, ternarize, null));
  }

  static Lowered lower(DispatchResult d, String target, boolean ternarize) {
    Lowered l = Lowering.lower(d, Targets.resolve(target), new Lowering.Options(ternarize));
    Verifier.verify(l.graph());
    return l;
  }

  /** The lowered graph's text and, per rewritten node, what changed. */
  static String describe(Lowered l) {
    StringBuilder sb = new StringBuilder(GraphPrinter.print(l.graph()));
    for (Lowered.Rewrite r : l.rewrites()) {
      sb.append("# node ").append(r.node()).append(" on ").append(r.unit())
          .append(r.approximate() ? " (changes numbers)" : "").append(": ")
          .append(String.join("; ", r.changes())).append('\n');
    }
    return sb.toString();
  }

  static List<Tensor> randomInput(Graph g, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Tensor> in = new ArrayList<>();
    for (var v : g.inputValues()) {
      int[] x = new int[v.shape().elements()];
      for (int i = 0; i < x.length; i++) {
        x[i] = rng.nextInt(256) - 128;
      }
      in.add(Tensor.ofInts(DType.INT8, v.shape(), x));
    }
    return in;
  }

  @Test
  void digitalRewritesEveryAcceleratedLayerIntoShiftStages() {
    Graph g = LoweringGraphs.network(1, false, true);
    DispatchResult d = dispatch(g, "diana", Policy.DIGITAL, false);
    Lowered l = lower(d, "diana", false);
    Golden.assertMatches("lower/network_diana_digital.txt", describe(l));
    // Conv, depthwise, conv and FC on digital; the Add and the pooling on the host.
    assertThat(l.rewrites()).extracting(Lowered.Rewrite::node).containsExactly(0, 1, 2, 6);
    assertThat(l.rewrites()).allMatch(r -> r.unit().equals("digital") && !r.approximate());
    for (int i = 0; i < g.nodes().size(); i++) {
      assertThat(l.graph().nodes().get(i).inputs()).isEqualTo(g.nodes().get(i).inputs());
      assertThat(l.graph().nodes().get(i).outputs()).isEqualTo(g.nodes().get(i).outputs());
    }
    assertThat(Op.requant(l.graph().nodes().get(0).op()).orElseThrow())
        .isInstanceOf(Requant.Shift.class);
    // Floor shifts are at most one below TFLite's rounding on every layer, so the outputs stay
    // close; the interpreter runs both.
    List<Tensor> in = randomInput(g, 7);
    int[] ref = new Interpreter(g).run(in).get(0).ints;
    int[] low = new Interpreter(l.graph()).run(in).get(0).ints;
    assertThat(low).hasSameSizeAs(ref);
    for (int i = 0; i < ref.length; i++) {
      assertThat(Math.abs(low[i] - ref[i])).isLessThanOrEqualTo(4);
    }
  }

  @Test
  void analogTernarizesNarrowsAndFusesTheResidualAdd() {
    Graph g = LoweringGraphs.network(2, false, true);
    DispatchResult d = dispatch(g, "diana", Policy.ANALOG, true);
    Lowered l = lower(d, "diana", true);
    Golden.assertMatches("lower/network_diana_analog_ternarize.txt", describe(l));
    var conv = l.graph().nodes().get(0);
    assertThat(l.graph().value(conv.input(Op.Conv2D.FILTER)).type().encoding())
        .isEqualTo(Encoding.TERNARY);
    Requant.Shift s = (Requant.Shift) Op.requant(conv.op()).orElseThrow();
    assertThat(s.inputBits()).isEqualTo(7);
    assertThat(s.inputShift()).isEqualTo(1);
    assertThat(s.clampMax()).isLessThanOrEqualTo(31);
    assertThat(new Interpreter(l.graph()).run(randomInput(g, 3)).get(0).ints).hasSize(10);
  }

  @Test
  void analogWithoutTernarizeLeavesInt8LayersToOtherUnits() {
    Graph g = LoweringGraphs.network(2, false, true);
    DispatchResult d = dispatch(g, "diana", Policy.ANALOG, false);
    assertThat(d.layers()).noneMatch(x -> x.unit().equals("analog"));
    Lowered l = lower(d, "diana", false);
    assertThat(l.rewrites()).noneMatch(r -> r.unit().equals("analog"));
  }

  @Test
  void fixedPointTargetsAreLeftAloneAsTheSameInstance() {
    Graph g = LoweringGraphs.network(1, false, false);
    for (String dla : List.of("dla", "dla:par=input,dw=emulated", "cpu")) {
      DispatchResult d = dispatch(g, dla, Policy.FIRST, false);
      Lowered l = lower(d, dla, false);
      assertThat(l.graph()).as(dla).isSameAs(g);
      assertThat(l.unchanged()).isTrue();
    }
  }

  @Test
  void nonPowerOfTwoLayersStayOnTheHostAndAreNotRewritten() {
    Graph g = LoweringGraphs.network(1, false, false);
    DispatchResult d = dispatch(g, "diana", Policy.DIGITAL, false);
    assertThat(d.layers().get(0).unit()).isEqualTo("host");
    Lowered l = lower(d, "diana", false);
    Golden.assertMatches("lower/network_diana_digital_not_pow2.txt", describe(l));
    assertThat(l.rewrite(0)).isEmpty();
  }

  @Test
  void aDispatchForOtherOptionsIsRefused() {
    Graph g = LoweringGraphs.network(2, false, true);
    DispatchResult d = dispatch(g, "diana", Policy.ANALOG, true);
    assertThatThrownBy(() -> Lowering.lower(d, DIANA, Lowering.Options.DEFAULT))
        .isInstanceOf(KilnException.class).hasMessageContaining("no pattern of analog accepts");
  }

  @Test
  void weightBlobRecordsOfALoweredLayerAreItsPreparedShiftStage() {
    Lowered l = lower(dispatch(LoweringGraphs.network(1, false, true), "diana", Policy.DIGITAL,
        false), "diana", false);
    Graph g = l.graph();
    var n = g.nodes().get(0);
    var p = io.kiln.plan.weights.ChannelParams.of(g, n, io.kiln.plan.weights.ChannelParams
        .Format.of(true, List.of(io.kiln.ir.RequantScheme.SHIFT)));
    Requant.Shift s = (Requant.Shift) Op.requant(n.op()).orElseThrow();
    assertThat(p.shifts()).containsExactly(s.shifts().stream().mapToInt(Integer::intValue)
        .toArray());
    int[] bias = g.input(n, Op.Conv2D.BIAS).data().asInts(DType.INT32);
    int[] w = g.input(n, Op.Conv2D.FILTER).data().asInts(DType.INT8);
    for (int c = 0; c < 16; c++) {
      long sum = 0;
      for (int i = c * 72; i < (c + 1) * 72; i++) {
        sum += w[i];
      }
      // Input zero point -128 folded in: b + 128 * sum(w).
      assertThat(p.bias()[c]).isEqualTo(bias[c] + 128 * sum);
    }
  }

  /** conv → residual Add whose skip/out ratio is 0.75: a shift only under --ternarize. */
  static Graph convAddOddSkip() {
    LoweringGraphs g = new LoweringGraphs(4, true);
    int x = g.input(8, 8, 16, 1.0 / 64, 0);
    int skip = g.input(8, 8, 16, 3.0 / 64, 0);
    int c = g.conv(x, 16, 3, 1, 1.0 / 4, 1.0 / 16, 0, Op.Activation.NONE);
    return g.build(g.add(c, skip, 1.0 / 16, 0, Op.Activation.RELU));
  }

  @Test
  void aResidualAddRescaleIsRoundedToAShiftOnlyUnderTernarize() {
    Graph g = convAddOddSkip();
    Lowered l = lower(dispatch(g, "diana", Policy.ANALOG, true), "diana", true);
    Golden.assertMatches("lower/conv_add_rounded_diana_analog.txt", describe(l));
    Lowered.Rewrite add = l.rewrite(1).orElseThrow();
    assertThat(add.approximate()).isTrue();
    assertThat(add.changes()).anyMatch(c -> c.equals("rhs/out = 0.750000 rounded to 2^0"));
    assertThat(LoweringReport.of(g, l, List.of(randomInput(g, 1))).layers().get(1).sqnrDb())
        .isFinite();
    // Without --ternarize the analog array takes nothing (7-bit inputs), and nothing is rounded.
    Lowered plain = lower(dispatch(g, "diana", Policy.ANALOG, false), "diana", false);
    assertThat(plain.rewrite(1)).isEmpty();
  }

  @Test
  void writersRefuseALoweredGraph() {
    Graph low = lower(dispatch(LoweringGraphs.network(1, false, true), "diana", Policy.DIGITAL,
        false), "diana", false).graph();
    assertThatThrownBy(() -> io.kiln.frontend.tflite.TfliteWriter.write(low))
        .isInstanceOf(KilnException.class).hasMessageContaining("a TFLite file cannot express"
            + " the lowered Conv2D %3 (output stage shift(floor");
    assertThatThrownBy(() -> io.kiln.frontend.onnx.OnnxWriter.write(low))
        .isInstanceOf(KilnException.class).hasMessageContaining("an ONNX file cannot express");
  }

  @Test
  void rewritesAreListedPerNode() {
    Lowered l = lower(dispatch(LoweringGraphs.network(1, false, true), "diana", Policy.DIGITAL,
        false), "diana", false);
    String text = l.rewrites().stream().map(r -> r.node() + ": " + r.changes())
        .collect(Collectors.joining("\n"));
    assertThat(text).contains("0: [bias: + 2^(s-1) per channel, so the floor shift rounds half up,"
        + " output stage: shift floor, shifts");
  }
}
