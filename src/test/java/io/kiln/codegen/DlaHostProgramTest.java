package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.isa.dla.Register;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The host program's C interpreter of the DLA command streams ({@code kiln_dla_submit} in
 * kiln_hal_host.c) matches the interpreter byte for byte on the DLA variants that
 * {@link DeploymentCodegenTest} does not build (so six in all for the MLPerf models), and on the
 * built-ins for all six; the HAL's register numbering is the ISA's.
 */
class DlaHostProgramTest {
  static final String[] MORE = {"dla:pe=64,sram=1MiB,par=input,dw=emulated",
      "dla:pe=128,sram=512KiB,par=output,dw=native"};
  static final String[] ALL = {"dla", "dla:pe=128,sram=1MiB,par=input,dw=native",
      "dla:pe=64,sram=512KiB,par=output,dw=emulated", "dla:pe=128,sram=256MiB,par=input,dw=unsupported", MORE[0],
      MORE[1]};

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String m : DeploymentCodegenTest.MODELS) {
      for (String t : MORE) {
        all.add(Arguments.of(SharedModels.file("mlperf-tiny/" + m + ".tflite").toString(), t));
      }
    }
    for (String b : new String[] {"builtin:ds_cnn", "builtin:resnet"}) {
      for (String t : ALL) {
        all.add(Arguments.of(b, t));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void hostProgramMatchesTheInterpreter(String model, String target, @TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    Graph g = Pipeline.DEFAULT.apply(ModelSource.load(model));
    HardwareDescription hw = Targets.resolve(target);
    Planner.Planned p = Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
    for (Map.Entry<String, String> f : DeploymentCodegen.emit(p.plan()).entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    assertThat(Files.readString(dir.resolve("kiln_model.c"))).contains("kiln_dla_submit(");
    Path host = NativeBuild.compile(dir, NativeBuild.STRICT, "kiln_host", DeploymentCodegenTest.SOURCES);
    int size = (int) p.plan().graph().inputValues().get(0).type().bytes();
    byte[] in = new byte[4 * size];
    new Random(model.hashCode() ^ target.hashCode()).nextBytes(in);
    byte[] out = NativeBuild.run(host, List.of(in), 4, 1).get(0);
    assertThat(out).isEqualTo(DeploymentCodegenTest.interpret(p.plan().graph(), in));
  }

  @Test
  void theHalNumbersRegistersAsTheIsa() throws IOException {
    String h;
    try (InputStream s = DeploymentCodegen.class.getResourceAsStream("kiln_hal.h")) {
      h = new String(s.readAllBytes(), StandardCharsets.UTF_8);
    }
    Matcher m = Pattern.compile("KILN_DLA_([A-Z0-9_]+)").matcher(h.substring(h.indexOf("enum {\n  KILN_DLA_")));
    List<String> names = new ArrayList<>();
    while (m.find() && !m.group(1).equals("REGS")) {
      names.add(m.group(1));
    }
    assertThat(names).containsExactlyElementsOf(Stream.of(Register.values()).map(Enum::name).toList());
  }
}
