package io.kiln.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.GraphPrinter;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.models.Builtins;
import io.kiln.testing.Golden;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PostTrainingQuantizerTest {
  private static final Graph FLOAT = SmallFloatNet.build(7);
  private static final List<List<Tensor>> CALIBRATION = SmallFloatNet.inputs(1, 32);
  private static final List<List<Tensor>> EVAL = SmallFloatNet.inputs(2, 32);

  private static Graph quantize(QuantizeOptions o) {
    return PostTrainingQuantizer.quantize(FLOAT, CALIBRATION, o);
  }

  private static Map<String, Value> byName(Graph g) {
    Map<String, Value> m = new HashMap<>();
    g.values().forEach(v -> m.put(v.name(), v));
    return m;
  }

  @Test
  void goldenTextForm() {
    Golden.assertMatches("quantize/small_per_channel.txt",
        GraphPrinter.print(quantize(QuantizeOptions.DEFAULTS.withPerChannel(true))));
  }

  @Test
  void tfliteIntegerFormConstraints() {
    Graph q = quantize(QuantizeOptions.DEFAULTS.withPerChannel(true));
    Map<String, Value> v = byName(q);
    assertThat(v.get("x").dtype()).isEqualTo(DType.INT8);
    assertThat(q.inputValues().get(0).name()).isEqualTo("x");
    // Fixed softmax output quantization; pool and reshape share their input's.
    assertThat(v.get("probs").quant()).isEqualTo(new Quantization.PerTensor(1f / 256, -128));
    assertThat(v.get("pool").quant()).isEqualTo(v.get("residual").quant());
    assertThat(v.get("flat").quant()).isEqualTo(v.get("residual").quant());
    // The residual sum has its own scale, wider than either operand's.
    assertThat(v.get("residual").quant().scale()).isNotEqualTo(v.get("conv1").quant().scale());
    // ReLU outputs start at zero: zero point -128.
    assertThat(v.get("conv1").quant().zeroPoint()).isEqualTo(-128);
    // Weights symmetric per channel along axis 0 (conv/FC) and 3 (depthwise).
    assertThat(v.get("w1").quant()).isInstanceOfSatisfying(Quantization.PerAxis.class, p -> {
      assertThat(p.axis()).isZero();
      assertThat(p.channels()).isEqualTo(8);
      assertThat(p.zeroPoints()).containsOnly(0L);
    });
    assertThat(((Quantization.PerAxis) v.get("wd").quant()).axis()).isEqualTo(3);
    // Bias int32 on input scale × weight scale, channel by channel.
    Value b1 = v.get("b1");
    assertThat(b1.dtype()).isEqualTo(DType.INT32);
    for (int c = 0; c < 8; c++) {
      assertThat(b1.quant().scaleAt(c))
          .isEqualTo(v.get("x").quant().scale() * v.get("w1").quant().scaleAt(c));
    }
    // The fused activations survive.
    assertThat(q.nodes().get(0).op()).isEqualTo(FLOAT.nodes().get(0).op());
    int[] w1 = v.get("w1").data().asInts(DType.INT8);
    assertThat(java.util.Arrays.stream(w1).boxed().toList())
        .allSatisfy(i -> assertThat(i).isBetween(-127, 127)).contains(127);
  }

  @Test
  void int8GraphFollowsTheFloatGraph() {
    QuantizationReport r = QuantizationReport.compare(FLOAT,
        quantize(QuantizeOptions.DEFAULTS.withPerChannel(true)), EVAL);
    assertThat(r.layers()).extracting(QuantizationReport.LayerSqnr::name)
        .containsExactly("conv1", "dw", "conv2", "residual", "pool", "flat", "logits", "probs");
    assertThat(r.layers()).allSatisfy(l -> assertThat(l.sqnrDb()).isGreaterThan(20));
    assertThat(r.agreement().classifier()).isTrue();
    assertThat(r.agreement().top1Rate()).isGreaterThanOrEqualTo(0.9);
    assertThat(r.agreement().maxAbsError()).isLessThan(0.05);
  }

  @Test
  void perChannelBeatsPerTensorWhenChannelsDifferInRange() {
    // Scale one output channel of the first conv down a hundredfold: one shared scale then
    // leaves that channel only a couple of int8 steps.
    Graph skewed = skewFirstConv(FLOAT, 0.01f);
    double perTensor = firstSqnr(skewed, QuantizeOptions.DEFAULTS);
    double perChannel = firstSqnr(skewed, QuantizeOptions.DEFAULTS.withPerChannel(true));
    assertThat(perChannel).isGreaterThan(perTensor);
  }

  private static double firstSqnr(Graph g, QuantizeOptions o) {
    Graph q = PostTrainingQuantizer.quantize(g, CALIBRATION, o);
    return QuantizationReport.compare(g, q, EVAL).layers().get(0).sqnrDb();
  }

  private static Graph skewFirstConv(Graph g, float factor) {
    List<Value> values = new java.util.ArrayList<>(g.values());
    for (Value v : g.values()) {
      if (v.name().equals("w1") || v.name().equals("b1")) {
        float[] w = v.data().asFloats();
        int per = w.length / 8;
        for (int i = 0; i < per; i++) {
          w[i] *= factor;
        }
        values.set(v.id(), new Value(v.id(), v.name(), v.type(),
            io.kiln.ir.ConstData.ofFloats(w)));
      }
    }
    return new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs());
  }

  @Test
  void pow2MakesEveryScaleAPowerOfTwo() {
    Graph q = quantize(QuantizeOptions.DEFAULTS.withPerChannel(true)
        .withScales(QuantizeOptions.ScaleMode.POW2));
    for (Value v : q.values()) {
      if (v.quant().isQuantized()) {
        int channels = v.quant() instanceof Quantization.PerAxis p ? p.channels() : 1;
        for (int c = 0; c < channels; c++) {
          assertThat(Scales.isPow2(v.quant().scaleAt(c))).as(v.name() + " channel " + c)
              .isTrue();
        }
      }
    }
    QuantizationReport r = QuantizationReport.compare(FLOAT, q, EVAL);
    assertThat(r.agreement().top1Rate()).isGreaterThanOrEqualTo(0.75);
  }

  @Test
  void ternaryWeightsAreMinusOneZeroOrOne() {
    Graph q = quantize(QuantizeOptions.DEFAULTS.withWeights(QuantizeOptions.WeightFormat.TERNARY));
    for (String w : List.of("w1", "wd", "w2", "wf")) {
      Value v = byName(q).get(w);
      int[] data = v.data().asInts(DType.INT8);
      assertThat(data).containsAnyOf(-1, 1);
      assertThat(java.util.Arrays.stream(data).boxed().toList())
          .allSatisfy(i -> assertThat(i).isBetween(-1, 1));
      assertThat(v.quant()).isInstanceOf(Quantization.PerAxis.class);
    }
    // Runs end to end on the integer interpreter.
    assertThat(QuantizationReport.compare(FLOAT, q, EVAL).agreement().samples()).isEqualTo(32);
  }

  @Test
  void floatIoKeepsNamesAndAddsQuantizeDequantize() {
    Graph q = quantize(QuantizeOptions.DEFAULTS.withIo(QuantizeOptions.IoType.FLOAT));
    assertThat(q.inputValues().get(0).type()).isEqualTo(FLOAT.inputValues().get(0).type());
    assertThat(q.inputValues().get(0).name()).isEqualTo("x");
    assertThat(q.outputValues().get(0).dtype()).isEqualTo(DType.FLOAT32);
    assertThat(q.outputValues().get(0).name()).isEqualTo("probs");
    assertThat(q.nodes().get(0).op()).isInstanceOf(Op.Quantize.class);
    assertThat(q.nodes().get(q.nodes().size() - 1).op()).isInstanceOf(Op.Dequantize.class);
    assertThat(byName(q)).containsKeys("x:int8", "probs:int8");
    // The same numbers as the int8-I/O graph, dequantized.
    Graph int8Io = quantize(QuantizeOptions.DEFAULTS);
    List<Tensor> sample = EVAL.get(0);
    float[] viaFloat = new Interpreter(q).run(sample).get(0).floats;
    Tensor viaInt = new Interpreter(int8Io).run(QuantTensors.inputsFor(int8Io, sample)).get(0);
    assertThat(viaFloat).containsExactly(
        QuantTensors.real(viaInt, int8Io.outputValues().get(0).quant()));
  }

  @Test
  void observersAllProduceWorkingGraphs() {
    for (QuantizeOptions.Observer o : QuantizeOptions.Observer.values()) {
      QuantizationReport r = QuantizationReport.compare(FLOAT,
          quantize(QuantizeOptions.DEFAULTS.withObserver(o).withPerChannel(true)), EVAL);
      assertThat(r.agreement().top1Rate()).as(o.name()).isGreaterThanOrEqualTo(0.85);
    }
  }

  @Test
  void quantizedModelIsRejected() {
    Graph q = Builtins.named("ds_cnn").build();
    assertThatThrownBy(() -> PostTrainingQuantizer.quantize(q, List.of(), QuantizeOptions.DEFAULTS))
        .isInstanceOf(KilnException.class).hasMessageContaining("already quantized");
  }

  @Test
  void noCalibrationIsRejected() {
    assertThatThrownBy(() -> PostTrainingQuantizer.quantize(FLOAT, List.of(),
        QuantizeOptions.DEFAULTS))
        .isInstanceOf(KilnException.class).hasMessageContaining("no calibration samples");
  }

  @Test
  void unsupportedOperatorIsNamed() {
    GraphBuilder b = new GraphBuilder("exp");
    int x = b.input("x", TensorType.of(DType.FLOAT32, 1, 4));
    int y = b.apply(new Op.Exp(), List.of(x), "y", DType.FLOAT32, Quantization.NONE);
    b.output(y);
    Graph g = b.build();
    List<List<Tensor>> cal = List.of(List.of(Tensor.ofFloats(Shape.of(1, 4),
        new float[] {0, 1, 2, 3})));
    assertThatThrownBy(() -> PostTrainingQuantizer.quantize(g, cal, QuantizeOptions.DEFAULTS))
        .isInstanceOf(KilnException.class).hasMessage("cannot quantize Exp 'y': no int8 lowering"
            + " is implemented for it");
  }

  @Test
  void everyNodeKeepsItsOperator() {
    Graph q = quantize(QuantizeOptions.DEFAULTS);
    assertThat(q.nodes()).extracting(Node::op)
        .containsExactlyElementsOf(FLOAT.nodes().stream().map(Node::op).toList());
  }
}
