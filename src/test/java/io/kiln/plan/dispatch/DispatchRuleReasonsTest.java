package io.kiln.plan.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.passes.GraphIndex;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.HardwareLoader;
import io.kiln.target.Presets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rejection reasons of the dtype, layout and channel-limit rules, each rule applied on its
 * own to a layer it must pass and to one it must reject.
 */
class DispatchRuleReasonsTest {
  private static final HardwareDescription DIANA = DispatchRulesTest.DIANA;

  private static Layer layer(Graph g) {
    return LayerPatterns.match(new GraphIndex(g), g.nodes().get(0)).layer().orElseThrow();
  }

  private static DispatchRule.Site site(HardwareDescription hw, String acc, Layer l) {
    Accelerator a = hw.accelerator(acc).orElseThrow();
    return new DispatchRule.Site(hw.name(), a, a.patterns(l.kind()).get(0), false);
  }

  private static String reason(DispatchRule rule, Graph g, HardwareDescription hw, String acc) {
    Layer l = layer(g);
    Verdict v = rule.apply(l, site(hw, acc, l));
    assertThat(v).as(rule.name()).isInstanceOf(Verdict.Reject.class);
    return ((Verdict.Reject) v).reason();
  }

  private static void passes(DispatchRule rule, Graph g, HardwareDescription hw, String acc) {
    Layer l = layer(g);
    assertThat(rule.apply(l, site(hw, acc, l))).as(rule.name()).isEqualTo(Verdict.PASS);
  }

  /** A fully-connected layer [in shape] x [k, c] with the given activation dtypes. */
  private static Graph fc(Shape inShape, int k, DType in, DType out) {
    int c = inShape.dim(inShape.rank() - 1);
    GraphBuilder b = new GraphBuilder("fc");
    int x = b.input("x", TensorType.quantized(in, inShape, 0.5, 0));
    int[] w = new int[k * c];
    Arrays.fill(w, 1);
    float[] ws = new float[k];
    Arrays.fill(ws, 0.25f);
    int wid = b.constant("w", new TensorType(DType.INT8, Shape.of(k, c),
        new Quantization.PerAxis(0, ws, new long[k])), ConstData.ofInts(DType.INT8, w));
    int[] outDims = inShape.dims().clone();
    outDims[outDims.length - 1] = k;
    int y = b.value("y", out == DType.INT32 ? new TensorType(out, Shape.of(outDims),
        Quantization.NONE) : TensorType.quantized(out, Shape.of(outDims), 0.125, 0));
    b.node(new Op.FullyConnected(Op.Activation.NONE, inShape.rank() != 2), List.of(x, wid),
        List.of(y));
    b.output(y);
    return b.build();
  }

  @Test
  void inputDtype() {
    passes(DispatchRules.INPUT_DTYPE, fc(Shape.of(1, 16), 16, DType.INT8, DType.INT8), DIANA,
        "digital");
    assertThat(reason(DispatchRules.INPUT_DTYPE, fc(Shape.of(1, 16), 16, DType.INT16,
        DType.INT16), DIANA, "digital")).isEqualTo("input dtype i16 of %0 not supported by"
            + " diana.digital: takes i8 activations; quantize the model to int8 (kiln quantize)");
  }

  @Test
  void outputDtype() {
    passes(DispatchRules.OUTPUT_DTYPE, fc(Shape.of(1, 16), 16, DType.INT8, DType.INT8), DIANA,
        "digital");
    assertThat(reason(DispatchRules.OUTPUT_DTYPE, fc(Shape.of(1, 16), 16, DType.INT8,
        DType.INT16), DIANA, "digital"))
        .isEqualTo("output dtype i16 not supported by diana.digital: writes i8");
  }

  @Test
  void layout() {
    passes(DispatchRules.LAYOUT, fc(Shape.of(1, 16), 16, DType.INT8, DType.INT8), DIANA,
        "digital");
    String r = reason(DispatchRules.LAYOUT, fc(Shape.of(1, 4, 16), 16, DType.INT8, DType.INT8),
        DIANA, "digital");
    assertThat(r).startsWith("layout: rank-3 input not supported by diana.digital (")
        .endsWith(" layout needs 4-D images or 2-D vectors); reshape the model");
  }

  @Test
  void inputChannelLimit() {
    passes(DispatchRules.CHANNEL_LIMITS, fc(Shape.of(1, 1152), 16, DType.INT8, DType.INT8),
        DIANA, "analog");
    assertThat(reason(DispatchRules.CHANNEL_LIMITS, fc(Shape.of(1, 1153), 16, DType.INT8,
        DType.INT8), DIANA, "analog"))
        .isEqualTo("input channels 1153 exceed diana.analog's limit of 1152");
  }

  @Test
  void outputChannelLimitOnlyWhereKCannotBeSplit() {
    Graph wide = fc(Shape.of(1, 64), 600, DType.INT8, DType.INT8);
    // diana's analog array splits K across calls, so 600 > 512 output channels is fine there.
    passes(DispatchRules.CHANNEL_LIMITS, wide, DIANA, "analog");
    String yaml = Presets.commentedYaml("diana").orElseThrow();
    String noKSplit = yaml.replace("split: [K, OY, OX]", "split: [OY, OX]");
    assertThat(noKSplit).isNotEqualTo(yaml);
    HardwareDescription hw = HardwareLoader.parse(noKSplit, "no-k-split.yaml");
    assertThat(reason(DispatchRules.CHANNEL_LIMITS, wide, hw, "analog"))
        .isEqualTo("output channels 600 exceed diana.analog's limit of 512 and it cannot split K");
  }
}
