package io.kiln.frontend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import io.kiln.testing.SharedModels;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX Runtime runs Kiln's ONNX exports of the MLPerf Tiny models: every int8 layer exported alone
 * agrees with Kiln's interpreter within one quantization step on the layer's real input, whole
 * int8 networks agree on top-1 for most rand16 samples (the per-layer differences compound), and
 * float networks agree within 1e-4 of the output's magnitude.
 */
class OnnxRuntimeExportTest {

  private static final String MLPERF = "mlperf-tiny/";

  /** The rand16 samples of a model, as Kiln tensors. */
  private static List<Tensor> samples(Graph g, String refCase) throws Exception {
    byte[] all = Files.readAllBytes(SharedModels.file("reference-outputs/" + refCase));
    Value in = g.inputValues().get(0);
    int size = (int) in.type().bytes();
    List<Tensor> out = new ArrayList<>();
    for (int s = 0; s + size <= all.length; s += size) {
      out.add(Tensor.fromBytes(in.dtype(), in.shape(), Arrays.copyOfRange(all, s, s + size)));
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"})
  void everyInt8LayerAloneAgreesWithinOneStep(String model) throws Exception {
    Graph g = TfliteImporter.load(SharedModels.file(MLPERF + model + ".tflite"));
    Tensor x = samples(g, model + "/rand16.in.bin").get(0);
    Tensor[] env = new Interpreter(g).trace(List.of(x));
    StringBuilder report = new StringBuilder();
    int worst = 0;
    for (int k = 0; k < g.nodes().size(); k++) {
      Node n = g.nodes().get(k);
      Graph single = singleNode(g, n);
      List<Tensor> ins = new ArrayList<>();
      for (int id : n.inputs()) {
        if (id != Node.ABSENT && !g.value(id).isConstant()) {
          ins.add(env[id]);
        }
      }
      Tensor want = env[n.output()];
      Tensor got;
      try (OrtRunner ort = new OrtRunner(single)) {
        got = ort.run(ins).get(0);
      }
      int diff = maxDiff(want, got);
      worst = Math.max(worst, diff);
      report.append(String.format("  %2d %-16s max|diff|=%d, %d of %d values differ%n", k,
          n.op().opName(), diff, countDiff(want, got), want.elements()));
    }
    System.out.printf("ORT vs Kiln, %s, each layer alone (rand16 sample 0):%n%s", model, report);
    assertThat(worst).as("largest per-layer difference in %s:%n%s", model, report)
        .isLessThanOrEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"})
  void wholeInt8NetworksAgreeOnMostSamples(String model) throws Exception {
    Graph g = TfliteImporter.load(SharedModels.file(MLPERF + model + ".tflite"));
    Interpreter kiln = new Interpreter(g);
    List<Tensor> xs = samples(g, model + "/rand16.in.bin");
    assertThat(xs).hasSize(16);
    int differing = 0;
    int values = 0;
    int maxDiff = 0;
    long sumDiff = 0;
    int top1 = 0;
    try (OrtRunner ort = new OrtRunner(g)) {
      for (Tensor x : xs) {
        Tensor want = kiln.run(List.of(x)).get(0);
        Tensor got = ort.run(List.of(x)).get(0);
        values += want.elements();
        differing += countDiff(want, got);
        maxDiff = Math.max(maxDiff, maxDiff(want, got));
        for (int i = 0; i < want.elements(); i++) {
          sumDiff += Math.abs(want.ints[i] - got.ints[i]);
        }
        top1 += argmax(want) == argmax(got) ? 1 : 0;
      }
    }
    System.out.printf("ORT vs Kiln, %s, whole network on rand16: %d of %d output values differ,"
        + " max |diff| %d, mean |diff| %.3f, top-1 agreement %d/16%n", model, differing, values,
        maxDiff, (double) sumDiff / values, top1);
    if (model.equals("ad01_int8")) {
      // An autoencoder: the reconstruction error, not an argmax, is what matters.
      assertThat((double) sumDiff / values).isLessThan(2.0);
    } else {
      assertThat(top1).isGreaterThanOrEqualTo(14);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mlperf-tiny/ad01_fp32.tflite|ad01_fp32/dcase_normal_id_01_00000000",
      "mlperf-tiny/pretrainedResnet.tflite|pretrainedResnet/rand_dq",
      "mlperf-tiny/vww_96_float.tflite|vww_96_float/rand_dq",
      "tflm/hello_world/hello_world_float.tflite|hello_world_float/x_0_to_2pi"})
  void floatNetworksAgreeWithinTolerance(String spec) throws Exception {
    String[] parts = spec.split("\\|");
    Graph g = TfliteImporter.load(SharedModels.file(parts[0]));
    Interpreter kiln = new Interpreter(g);
    List<Tensor> xs = samples(g, parts[1] + ".in.bin");
    double worst = 0;
    try (OrtRunner ort = new OrtRunner(g)) {
      for (Tensor x : xs) {
        Tensor want = kiln.run(List.of(x)).get(0);
        Tensor got = ort.run(List.of(x)).get(0);
        double maxRef = 0;
        double maxErr = 0;
        for (int i = 0; i < want.elements(); i++) {
          maxRef = Math.max(maxRef, Math.abs(want.floats[i]));
          maxErr = Math.max(maxErr, Math.abs(want.floats[i] - got.floats[i]));
        }
        worst = Math.max(worst, maxErr / Math.max(maxRef, 1e-30));
      }
    }
    System.out.printf("ORT vs Kiln, %s (%d samples): max |diff| / max |ref| = %.2e%n", parts[0],
        xs.size(), worst);
    assertThat(worst).isLessThanOrEqualTo(1e-4);
  }

  /** A graph of {@code n} alone: its activation inputs become graph inputs, constants stay. */
  static Graph singleNode(Graph g, Node n) {
    GraphBuilder b = new GraphBuilder(g.name() + "_" + n.op().opName());
    Map<Integer, Integer> ids = new HashMap<>();
    List<Integer> inputs = new ArrayList<>();
    for (int id : n.inputs()) {
      if (id == Node.ABSENT) {
        inputs.add(Node.ABSENT);
        continue;
      }
      Value v = g.value(id);
      inputs.add(ids.computeIfAbsent(id, k -> v.isConstant()
          ? b.constant(v.name(), v.type(), v.data()) : b.input(v.name(), v.type())));
    }
    Value out = g.value(n.output());
    int o = b.value(out.name(), out.type());
    b.node(n.op(), inputs, List.of(o));
    b.output(o);
    return b.build();
  }

  private static int maxDiff(Tensor a, Tensor b) {
    int m = 0;
    for (int i = 0; i < a.elements(); i++) {
      m = Math.max(m, Math.abs(a.ints[i] - b.ints[i]));
    }
    return m;
  }

  private static int countDiff(Tensor a, Tensor b) {
    int c = 0;
    for (int i = 0; i < a.elements(); i++) {
      c += a.ints[i] != b.ints[i] ? 1 : 0;
    }
    return c;
  }

  private static int argmax(Tensor t) {
    int best = 0;
    for (int i = 1; i < t.elements(); i++) {
      if (t.ints[i] > t.ints[best]) {
        best = i;
      }
    }
    return best;
  }
}
