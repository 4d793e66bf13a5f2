package io.kiln.sim.systolic;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.models.BuiltinLayers;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.schedule.GemmTile;
import io.kiln.plan.schedule.SystolicEngine;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.sim.CallModel;
import io.kiln.sim.CallModels;
import io.kiln.sim.LayerSweep;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kiln simulate --target systolic:...}: every MLPerf Tiny model, under the implicit, the
 * explicit and the channel-last im2col and with several decomposed filters on the rows, simulates
 * with outputs byte-identical to the interpreter on the lowered graph, the sums of every systolic
 * job computed by the engine's data flow (as many folds as the engine times), so the simulator's
 * per-step check checks that data flow; a fold that drops a row block or a corrupted weight byte
 * is caught at the step it breaks. The cycle-stepped array runs small models end to end to the
 * same bytes as the fast fold. Layers of the 224x224 built-ins are checked one by one.
 */
class SystolicSimulationTest {
  static final String[] TARGETS = {"systolic", "systolic:im2col=explicit", "systolic:im2col=channel_last",
      "systolic:rows=32,cols=16,word=2,sram=4MiB,tiles=2", "systolic:rows=16,cols=8,im2col=explicit",
      // A small SRAM: layers cut into K, C and output tiles, each tile's weights its own run.
      "systolic:rows=16,cols=16,sram=64KiB"};

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String m : new String[] {"kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"}) {
      for (String t : TARGETS) {
        all.add(Arguments.of(m, t));
      }
    }
    return all.stream();
  }

  static Planner.Planned plan(Graph g, HardwareDescription hw) {
    return Planner.plan(g, hw, new Planner.Options(Policy.named("first"), false, SolverKind.BNB));
  }

  static Graph model(String name) {
    return Pipeline.DEFAULT.apply(ModelSource.load(SharedModels.file("mlperf-tiny/" + name + ".tflite").toString()));
  }

  /** Simulates with the systolic units' folds counted on a fast fold. */
  static Simulation simulate(Planner.Planned planned, List<Tensor> inputs, AtomicLong folds, CallModel wrap) {
    SystolicCallModel systolic = new SystolicCallModel(1, (rows, cols) -> new CountingFold(new FastFold(rows, cols),
        folds));
    CallModel model = wrap == null ? systolic : wrap;
    CallModels models = unit -> unit.kind() == Accelerator.Kind.SYSTOLIC ? model : CallModels.DEFAULT.forUnit(unit);
    return Simulator.simulate(planned.plan(), planned.costs(), Simulator.CpuTiming.of(planned.costs()), models,
        inputs, true, "first");
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void outputsMatchKilnRunTarget(String model, String target) {
    Graph g = model(model);
    var hw = Targets.resolve(target);
    Planner.Planned planned = plan(g, hw);
    List<Tensor> inputs = LayerSweep.inputs(planned.plan().graph(), 5);
    assertThat(CallModels.DEFAULT.forUnit(hw.accelerators().get(0))).isInstanceOf(SystolicCallModel.class);
    AtomicLong folds = new AtomicLong();
    Simulation s = simulate(planned, inputs, folds, null);
    assertThat(s.check().orElseThrow().firstMismatch()).isEmpty();
    List<Tensor> want = new Interpreter(planned.lowering().graph()).run(inputs);
    for (int i = 0; i < want.size(); i++) {
      assertThat(s.outputs().get(i).toBytes()).isEqualTo(want.get(i).toBytes());
    }
    // Every systolic layer's compute is the engine's timing of its jobs, and the data flow ran
    // the folds the engine times.
    long timedFolds = 0;
    for (int i = 0; i < planned.plan().steps().size(); i++) {
      if (planned.plan().steps().get(i) instanceof Step.AcceleratorCall c
          && c.unit().kind() == Accelerator.Kind.SYSTOLIC) {
        SystolicEngine e = SystolicCallModel.engine(hw, c);
        long want2 = 0;
        for (var j : c.jobs()) {
          SystolicEngine.Timing t = e.time(GemmTile.of(c.geometry().shape(), j, 1));
          want2 += t.cycles();
          timedFolds += t.folds();
        }
        assertThat(s.layers().get(i).computeCycles()).isEqualTo(want2);
      }
    }
    assertThat(timedFolds).isPositive();
    assertThat(folds.get()).isEqualTo(timedFolds);
  }

  @ParameterizedTest(name = "{0} on {1}")
  @org.junit.jupiter.params.provider.CsvSource({"ad01_int8, systolic", "kws_ref_model, 'systolic:rows=16,cols=16'",
      "kws_ref_model, 'systolic:rows=16,cols=16,im2col=explicit'"})
  void theCycleSteppedArrayRunsWholeModelsToTheSameBytes(String model, String target) {
    Planner.Planned planned = plan(model(model), Targets.resolve(target));
    List<Tensor> inputs = LayerSweep.inputs(planned.plan().graph(), 5);
    SystolicCallModel stepped = new SystolicCallModel(1, SystolicArray::new);
    Simulation s = simulate(planned, inputs, new AtomicLong(), stepped);
    assertThat(s.check().orElseThrow().firstMismatch()).isEmpty();
    Simulation fast = simulate(planned, inputs, new AtomicLong(), null);
    for (int i = 0; i < s.outputs().size(); i++) {
      assertThat(s.outputs().get(i).toBytes()).isEqualTo(fast.outputs().get(i).toBytes());
    }
  }

  @Test
  void aFoldThatDropsARowBlockIsCaughtAtItsStep() {
    Planner.Planned planned = plan(model("kws_ref_model"), Targets.resolve("systolic:rows=16,cols=16"));
    List<Tensor> inputs = LayerSweep.inputs(planned.plan().graph(), 5);
    AtomicLong calls = new AtomicLong();
    SystolicCallModel dropping = new SystolicCallModel(1, (rows, cols) -> new Fold() {
      final FastFold fast = new FastFold(rows, cols);

      @Override
      public void fold(byte[][] a, byte[][] w, int c0, int k0, int[][] acc) {
        // One fold of a middle layer goes missing.
        if (calls.incrementAndGet() != 100) {
          fast.fold(a, w, c0, k0, acc);
        }
      }

      @Override
      public int rows() {
        return rows;
      }

      @Override
      public int cols() {
        return cols;
      }
    });
    Simulation s = simulate(planned, inputs, new AtomicLong(), dropping);
    assertThat(calls.get()).isGreaterThan(100);
    String mismatch = s.check().orElseThrow().firstMismatch().orElseThrow();
    assertThat(mismatch).contains("on systolic").contains("first wrong byte");
  }

  @Test
  void aCorruptedWeightByteIsCaughtAtItsLayer() {
    Planner.Planned planned = plan(model("ad01_int8"), Targets.resolve("systolic"));
    List<Tensor> inputs = LayerSweep.inputs(planned.plan().graph(), 5);
    SystolicCallModel systolic = new SystolicCallModel(1);
    int[] calls = {0};
    CallModel corrupting = (call, ctx) -> {
      if (calls[0]++ == 0) {
        // One weight byte of the first layer's blob (whose inputs are the seeded ones, none at
        // the zero point), before its DMA brings it into the SRAM.
        var blob = call.blob().orElseThrow();
        var job = call.jobs().get(0);
        long at = blob.offset() + call.blobLayout().orElseThrow().weightSlice(job.k(), job.c()).offset();
        ctx.memories().checked(blob.memory(), at, 1, "test")[(int) at] ^= 0x55;
      }
      systolic.simulate(call, ctx);
    };
    Simulation s = simulate(planned, inputs, new AtomicLong(), corrupting);
    String mismatch = s.check().orElseThrow().firstMismatch().orElseThrow();
    assertThat(mismatch).contains("on systolic").contains("first wrong byte");
    int step = Integer.parseInt(mismatch.substring("step ".length(), mismatch.indexOf(' ', 5)));
    int first = 0;
    while (!(planned.plan().steps().get(first) instanceof Step.AcceleratorCall)) {
      first++;
    }
    assertThat(step).isEqualTo(first);
  }

  static Stream<Arguments> builtinLayers() {
    return Stream.of(
        Arguments.of("resnet50 conv1 7x7/2 stem", BuiltinLayers.conv("conv1", 224, 3, 64, 7, 2)),
        Arguments.of("resnet50 conv3_1/3x3 stride 2", BuiltinLayers.conv("conv3_1_3x3", 56, 128, 128, 3, 2)),
        Arguments.of("resnet50 conv4_1/shortcut 1x1/2", BuiltinLayers.conv("conv4_1_shortcut", 28, 512, 1024, 1, 2)),
        Arguments.of("vgg16 conv4_1 3x3", BuiltinLayers.conv("conv4_1", 28, 256, 512, 3, 1)),
        Arguments.of("resnet50 fc", BuiltinLayers.fc("fc", 2048, 1000)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("builtinLayers")
  void layersOfTheBuiltinsMatchUnderEachIm2col(String name, Graph layer) {
    Graph g = Pipeline.DEFAULT.apply(layer);
    for (String t : new String[] {"systolic", "systolic:im2col=explicit", "systolic:tiles=2"}) {
      Planner.Planned planned = plan(g, Targets.resolve(t));
      AtomicLong folds = new AtomicLong();
      Simulation s = simulate(planned, LayerSweep.inputs(planned.plan().graph(), 5), folds, null);
      assertThat(s.check().orElseThrow().firstMismatch()).as(name + " on " + t).isEmpty();
      assertThat(folds.get()).as(name + " on " + t).isPositive();
    }
  }
}
