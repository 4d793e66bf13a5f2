package io.kiln.frontend.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.KilnException;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.passes.Pipeline;
import io.kiln.testing.Golden;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.OperatorCode;

/**
 * Every {@code .tflite} file in {@code ../shared/models} either imports, runs on the interpreter
 * and compiles for the CPU, or fails with one line that names each operator it lacks. The golden
 * file {@code shared-models-coverage.txt} records which model stops where, so that a new
 * operator shows as a diff.
 */
class SharedModelsCoverageTest {
  @Test
  void everyModelRunsAndCompilesOrNamesWhatItLacks() throws IOException {
    Path root = SharedModels.root();
    List<Path> models;
    try (Stream<Path> s = Files.walk(root)) {
      models = s.filter(p -> p.toString().endsWith(".tflite")).sorted().toList();
    }
    assertThat(models).hasSizeGreaterThan(100);
    StringBuilder table = new StringBuilder();
    for (Path model : models) {
      String rel = root.relativize(model).toString();
      table.append(rel).append(": ").append(status(model, rel)).append('\n');
    }
    Golden.assertMatches("shared-models-coverage.txt", table.toString());
  }

  private static String status(Path model, String rel) throws IOException {
    byte[] bytes = Files.readAllBytes(model);
    Map<String, Integer> lacking = unsupportedOperators(bytes);
    Graph g;
    try {
      g = TfliteImporter.load(model);
    } catch (KilnException e) {
      assertOneLine(rel, e);
      assertThat(lacking).as(rel + ": " + e.getMessage()).isNotEmpty();
      for (String op : lacking.keySet()) {
        assertThat(e.getMessage()).as(rel).contains(op);
      }
      return "not imported, lacks " + lacking;
    }
    assertThat(lacking).as(rel).isEmpty();
    Graph opt = Pipeline.DEFAULT.apply(g);
    String run;
    try {
      List<Tensor> zeros = new ArrayList<>();
      for (Value v : opt.inputValues()) {
        zeros.add(runtimeShapeOrZeros(opt, v));
      }
      new Interpreter(opt).run(zeros);
      run = "runs";
    } catch (KilnException e) {
      assertOneLine(rel, e);
      run = "run: " + e.getMessage();
    }
    String compile;
    try {
      CpuCodegen.emit(opt, CodegenOptions.defaults());
      compile = "compiles";
    } catch (KilnException e) {
      assertOneLine(rel, e);
      assertThat(e.getMessage()).as(rel).startsWith("the CPU target does not support");
      compile = "compile: " + e.getMessage().replace("the CPU target does not support ", "lacks ");
    }
    return run + "; " + compile;
  }

  /**
   * Zeros, except for a graph input that is a transposed convolution's runtime output shape
   * (SEANet's), which gets the shape the model declares.
   */
  private static Tensor runtimeShapeOrZeros(Graph g, Value v) {
    for (io.kiln.ir.Node n : g.nodes()) {
      if (n.op() instanceof io.kiln.ir.Op.TransposeConv t
          && n.hasInput(io.kiln.ir.Op.TransposeConv.OUTPUT_SHAPE)
          && n.input(io.kiln.ir.Op.TransposeConv.OUTPUT_SHAPE) == v.id()) {
        return Tensor.ofInts(v.dtype(), v.shape(), t.outputShape().dims());
      }
    }
    return Tensor.zeros(v.dtype(), v.shape());
  }

  private static void assertOneLine(String rel, KilnException e) {
    assertThat(e.getMessage()).as(rel).isNotBlank().doesNotContain("\n");
  }

  /** Operator names the file uses that Kiln's importer does not know, with their counts. */
  private static Map<String, Integer> unsupportedOperators(byte[] bytes) {
    Model m = Model.getRootAsModel(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
    Map<String, Integer> out = new TreeMap<>();
    var sg = m.subgraphs(0);
    for (int i = 0; i < sg.operatorsLength(); i++) {
      OperatorCode oc = m.operatorCodes((int) sg.operators(i).opcodeIndex());
      int code = TfliteOperators.builtinCode(oc.builtinCode(), oc.deprecatedBuiltinCode());
      boolean custom = code == BuiltinOperator.CUSTOM && SignalOperators.supported(oc.customCode());
      if (!TfliteOperators.supported(code) && !custom) {
        String name = code == BuiltinOperator.CUSTOM ? "CUSTOM:" + oc.customCode()
            : TfliteOperators.builtinName(code);
        out.merge(name, 1, Integer::sum);
      }
    }
    return out;
  }
}
