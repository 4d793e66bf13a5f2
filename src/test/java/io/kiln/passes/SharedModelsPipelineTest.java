package io.kiln.passes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.KilnException;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.passes.PassTesting.Agreement;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link Pipeline#DEFAULT} on every .tflite model in shared/models that Kiln imports: the verifier
 * accepts every stage's output, and the interpreter's outputs are unchanged on the reference-output
 * inputs and on seeded random inputs (bit for bit for integer outputs, 1e-5 relative for float).
 */
class SharedModelsPipelineTest {
  private static final int RANDOM_SEEDS = 2;

  @TestFactory
  Stream<DynamicTest> defaultPipelineKeepsEveryModelsOutputs() throws IOException {
    Path root = SharedModels.root();
    JsonNode index = new ObjectMapper().readTree(
        root.resolve("reference-outputs/index.json").toFile());
    List<Path> models;
    try (Stream<Path> s = Files.walk(root)) {
      models = s.filter(p -> p.toString().endsWith(".tflite")).sorted().toList();
    }
    assertThat(models).hasSizeGreaterThan(10);
    return models.stream().map(m -> dynamicTest(root.relativize(m).toString(),
        () -> check(root, index, m)));
  }

  private static void check(Path root, JsonNode index, Path model) throws IOException {
    Graph g;
    try {
      g = TfliteImporter.load(model);
      new Interpreter(g);
    } catch (KilnException e) {
      assumeTrue(false, "not importable or runnable: " + e.getMessage());
      return;
    }
    Pipeline.Result result = Pipeline.DEFAULT.verifying().run(g);
    Graph after = result.graph();
    List<List<Tensor>> inputs = referenceInputs(root, index, root.relativize(model), g);
    for (int seed = 0; seed < RANDOM_SEEDS; seed++) {
      List<Tensor> random = new ArrayList<>(PassTesting.randomInputs(g, seed));
      // Index-like inputs (a TransposeConv's runtime output shape) must stay meaningful.
      boolean usable = true;
      for (int k = 0; k < random.size(); k++) {
        DType dt = g.inputValues().get(k).dtype();
        if (dt == DType.INT32 || dt == DType.INT64) {
          usable &= !inputs.isEmpty();
          if (usable) {
            random.set(k, inputs.get(0).get(k));
          }
        }
      }
      if (usable) {
        inputs.add(random);
      }
    }
    Interpreter before = new Interpreter(g);
    Interpreter optimized = new Interpreter(after);
    for (int i = 0; i < inputs.size(); i++) {
      List<Tensor> x = before.run(inputs.get(i));
      List<Tensor> y = optimized.run(inputs.get(i));
      for (int o = 0; o < x.size(); o++) {
        Agreement a = x.get(o).dtype == DType.FLOAT32 ? Agreement.FLOAT_TOLERANCE
            : Agreement.EXACT;
        PassTesting.assertAgree(x.get(o), y.get(o), a, model.getFileName() + " sample " + i
            + " output " + o + " after " + changedStages(result));
      }
    }
  }

  private static String changedStages(Pipeline.Result r) {
    return r.stages().stream().filter(Pipeline.StageResult::changed)
        .map(Pipeline.StageResult::pass).toList().toString();
  }

  /** Every sample of every reference case whose model is {@code rel}. */
  private static List<List<Tensor>> referenceInputs(Path root, JsonNode index, Path rel,
      Graph g) throws IOException {
    List<List<Tensor>> samples = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = index.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (!entry.getValue().path("model").asText().equals(rel.toString().replace('\\', '/'))) {
        continue;
      }
      Path dir = root.resolve("reference-outputs").resolve(entry.getKey());
      List<String> cases = new ArrayList<>();
      entry.getValue().path("cases").fieldNames().forEachRemaining(cases::add);
      cases.add("rand16");
      for (String c : cases) {
        samples.addAll(read(dir, c, g));
      }
    }
    return samples;
  }

  private static List<List<Tensor>> read(Path dir, String caseName, Graph g) throws IOException {
    List<Value> ins = g.inputValues();
    List<byte[]> data = new ArrayList<>();
    for (int k = 0; k < ins.size(); k++) {
      Path f = dir.resolve(caseName + (ins.size() == 1 ? ".in.bin" : ".in" + k + ".bin"));
      if (!Files.exists(f)) {
        return List.of();
      }
      data.add(Files.readAllBytes(f));
    }
    int batch = (int) (data.get(0).length / ins.get(0).type().bytes());
    List<List<Tensor>> samples = new ArrayList<>();
    for (int s = 0; s < batch; s++) {
      List<Tensor> sample = new ArrayList<>();
      for (int k = 0; k < ins.size(); k++) {
        int size = (int) ins.get(k).type().bytes();
        sample.add(Tensor.fromBytes(ins.get(k).dtype(), ins.get(k).shape(),
            Arrays.copyOfRange(data.get(k), s * size, (s + 1) * size)));
      }
      samples.add(sample);
    }
    return samples;
  }
}
