package io.kiln.sim.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.schedule.CpuCost;
import io.kiln.sim.cpu.CpuCalibration.Constants;
import io.kiln.sim.cpu.CpuCalibration.Measurement;
import io.kiln.target.Cpu;
import io.kiln.target.Cpu.KernelKind;
import io.kiln.target.CpuCore;
import io.kiln.target.Presets;
import io.kiln.testing.SharedModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The calibrated CPU cycle model: the calibration's layers are the graphs' nodes the simulator
 * will ask about, a model left out of the fit is predicted from its graph within a stated error
 * of its measured instruction counts, presets pick the calibration of their core, and a CPU
 * without one falls back to its description's costs.
 */
class CpuCycleModelTest {
  private static final List<String> CORES = List.of("cortex-m3", "cortex-m4", "cortex-m4-dsp",
      "rv32imc");
  private static final Map<String, Graph> GRAPHS = new HashMap<>();

  private static synchronized Graph graph(String model) {
    return GRAPHS.computeIfAbsent(model, m -> {
      String src = m.equals("ds_cnn") || m.equals("resnet") ? "builtin:" + m
          : (m.startsWith("micro_speech") ? "tflm/micro_speech/" : m.startsWith("person")
              ? "tflm/person_detection/" : m.startsWith("hello") ? "tflm/hello_world/"
              : "mlperf-tiny/") + m + ".tflite";
      return Pipeline.DEFAULT.apply(ModelSource.load(src.startsWith("builtin:") ? src
          : SharedModels.root().resolve(src).toString()));
    });
  }

  @Test
  void everyCoreIsCalibratedForTheMacKernelsAndPooling() {
    assertThat(CpuCalibration.all()).containsKeys(CORES.toArray(String[]::new));
    for (String core : CORES) {
      CpuCalibration cal = CpuCalibration.all().get(core);
      assertThat(cal.constants()).as(core).containsKeys(KernelKind.CONV2D,
          KernelKind.DEPTHWISE_CONV2D, KernelKind.FULLY_CONNECTED, KernelKind.POOL);
      assertThat(cal.measurements().stream().map(Measurement::model).distinct())
          .as(core).contains("kws_ref_model", "vww_96_int8", "pretrainedResnet_quant",
              "ad01_int8");
      // Plain C costs more instructions per MAC than the M4's DSP kernels.
      assertThat(cal.constants().get(KernelKind.CONV2D).cyclesPerUnit()).as(core)
          .isGreaterThan(0.5).isLessThan(20);
    }
    assertThat(CpuCalibration.all().get("cortex-m4-dsp").constants().get(KernelKind.CONV2D)
        .cyclesPerUnit()).isLessThan(CpuCalibration.all().get("cortex-m4").constants()
        .get(KernelKind.CONV2D).cyclesPerUnit());
  }

  @Test
  void measuredLayersAreTheGraphsNodes() {
    for (String core : CORES) {
      for (Measurement m : CpuCalibration.all().get(core).measurements()) {
        Graph g = graph(m.model());
        Node n = g.nodes().get(m.layer());
        assertThat(n.op().opName()).as("%s %s layer %d", core, m.model(), m.layer())
            .isEqualTo(m.op());
        assertThat(CpuCost.kind(n.op())).isEqualTo(m.kind());
        assertThat(CpuCost.work(g, n)).isEqualTo(m.work());
        assertThat(g.output(n).shape().elements()).isEqualTo(m.outputs());
      }
    }
  }

  /**
   * A model family left out of the fit (both keyword-spotting DS-CNNs: the MLPerf one and the
   * built-in of the same architecture; or both MobileNets: VWW and TFLM's person detection), which
   * then predicts the MLPerf model from its graph. Stated errors: KWS within 5% on the whole
   * inference and 10% on every layer of at least 10,000 units of work; VWW within 6% and 30% (its
   * first convolution, on 3 input channels, and its small late depthwise layers stray most). Small
   * layers are not bounded: their per-call overhead varies with the kernel's shape (softmax by up
   * to 50%). BENCHMARKS.md has every model left out in turn, including the one the model does
   * worst on, the AD autoencoder (+28% to +33%: its FullyConnected layers cost less per MAC than
   * the other models' ones it is then fitted to).
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "cortex-m3, kws_ref_model, ds_cnn, 0.05, 0.10",
      "cortex-m4, kws_ref_model, ds_cnn, 0.05, 0.10",
      "cortex-m4-dsp, kws_ref_model, ds_cnn, 0.05, 0.10",
      "rv32imc, kws_ref_model, ds_cnn, 0.05, 0.10",
      "cortex-m3, vww_96_int8, person_detect, 0.06, 0.30",
      "cortex-m4-dsp, vww_96_int8, person_detect, 0.06, 0.30",
      "rv32imc, vww_96_int8, person_detect, 0.06, 0.30"})
  void heldOutModelIsPredictedFromItsGraph(String core, String model, String twin,
      double totalError, double layerError) {
    CpuCalibration all = CpuCalibration.all().get(core);
    List<Measurement> rest = all.measurements().stream()
        .filter(m -> !m.model().equals(model) && !m.model().equals(twin)).toList();
    CpuCalibration fitted = new CpuCalibration(core, "test", CalibrationFit.fit(rest), rest);
    CpuCycleModel cycles = CpuCycleModel.withCalibration(Presets.get("cpu").cpu(), fitted);
    Graph g = graph(model);
    long measured = 0;
    long predicted = 0;
    int big = 0;
    for (Measurement m : all.measurements()) {
      if (!m.model().equals(model) || m.instructions() == 0) {
        continue;
      }
      long p = cycles.cycles(g, g.nodes().get(m.layer()));
      measured += m.instructions();
      predicted += p;
      if (m.work() >= 10_000) {
        big++;
        assertThat((double) p).as("%s %s layer %d %s", core, model, m.layer(), m.op())
            .isCloseTo(m.instructions(), within(layerError * m.instructions()));
      }
    }
    assertThat(big).as("layers checked").isGreaterThanOrEqualTo(9);
    assertThat((double) predicted).as("%s %s total", core, model)
        .isCloseTo(measured, within(totalError * measured));
  }

  @Test
  void presetsPickTheCalibrationOfTheirCore() {
    assertThat(CpuCycleModel.forCpu(Presets.get("diana").cpu()).source()).startsWith("rv32imc ");
    assertThat(CpuCycleModel.forCpu(Presets.get("dla").cpu()).source()).startsWith("rv32imc ");
    assertThat(CpuCycleModel.forCpu(Presets.get("cpu").cpu()).source())
        .startsWith("cortex-m4 calibration");
    assertThat(CpuCycleModel.forCpu(Presets.get("cpu:core=cortex-m4").cpu()).source())
        .startsWith("cortex-m4-dsp ");
    assertThat(CpuCycleModel.forCpu(Presets.get("cpu:core=cortex-m7").cpu()).source())
        .startsWith("cortex-m4-dsp ");
    assertThat(CpuCycleModel.forCpu(Presets.get("cpu:core=cortex-m3").cpu()).source())
        .startsWith("cortex-m3 ");
    assertThat(CpuCycleModel.forCpu(Presets.get("cpu:core=rv32imc").cpu()).source())
        .startsWith("rv32imc ").contains("minstret");
  }

  @Test
  void calibratedCyclesUseTheFittedConstants() {
    Graph g = ModelSource.load("builtin:ds_cnn");
    Node conv = g.nodes().get(0);
    Cpu cpu = Presets.get("diana").cpu();
    Constants c = CpuCalibration.all().get("rv32imc").constants().get(KernelKind.CONV2D);
    long expected = c.overheadCycles() + (long) Math.ceil(c.cyclesPerUnit()
        * CpuCost.work(g, conv) + c.cyclesPerOutput() * g.output(conv).shape().elements());
    assertThat(CpuCycleModel.forCpu(cpu).cycles(g, conv)).isEqualTo(expected);
  }

  @Test
  void withoutACalibrationTheDescriptionsCostsApply() {
    Graph g = ModelSource.load("builtin:ds_cnn");
    Cpu m55 = Presets.get("cpu:core=cortex-m55").cpu();
    Cpu xtensa = new Cpu("dsp", "xtensa-lx7", List.of(), 1, 32, 100_000_000L, 123, 1.0,
        Presets.get("cpu").cpu().kernels(), CpuCore.GENERIC);
    for (Cpu cpu : List.of(m55, xtensa)) {
      CpuCycleModel model = CpuCycleModel.forCpu(cpu);
      assertThat(model.source()).isEqualTo("description");
      assertThat(model.calibration()).isEmpty();
      for (Node n : g.nodes()) {
        Cpu.KernelCost d = cpu.cost(CpuCost.kind(n.op()));
        assertThat(model.cycles(g, n)).isEqualTo(cpu.perCallOverheadCycles() + d.overheadCycles()
            + (long) Math.ceil(d.cyclesPerUnit() * CpuCost.work(g, n)));
      }
    }
  }

  @Test
  void theFitRecoversConstantsItWasGivenAndKeepsThemNonNegative() {
    Random rnd = new Random(10);
    List<Measurement> ms = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long outputs = 100 + rnd.nextInt(10_000);
      long work = outputs * (1 + rnd.nextInt(500));
      ms.add(new Measurement("m", i, "Conv2D", "plain-c", KernelKind.CONV2D, work, outputs,
          Math.round(300 + 3.25 * work + 40 * outputs)));
    }
    Constants c = CalibrationFit.fit(ms).get(KernelKind.CONV2D);
    assertThat(c.cyclesPerUnit()).isCloseTo(3.25, within(1e-3));
    assertThat(c.cyclesPerOutput()).isCloseTo(40, within(0.05));
    assertThat(c.overheadCycles()).isBetween(280L, 320L);

    // Data a negative intercept would fit best: the overhead stays at zero instead.
    List<Measurement> steep = List.of(
        new Measurement("m", 0, "Softmax", "plain-c", KernelKind.SOFTMAX, 10, 10, 10),
        new Measurement("m", 1, "Softmax", "plain-c", KernelKind.SOFTMAX, 20, 20, 100));
    Constants s = CalibrationFit.fit(steep).get(KernelKind.SOFTMAX);
    assertThat(s.overheadCycles()).isZero();
    assertThat(s.cyclesPerOutput()).isZero();
    assertThat(s.cyclesPerUnit()).isPositive();
  }
}
