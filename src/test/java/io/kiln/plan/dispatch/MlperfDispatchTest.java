package io.kiln.plan.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Graph;
import io.kiln.models.ModelSource;
import io.kiln.passes.Pipeline;
import io.kiln.plan.lower.Ternarize;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Dispatch of the four MLPerf Tiny int8 models on every preset and policy the issue names. */
class MlperfDispatchTest {
  static final List<String> MODELS = List.of("kws_ref_model", "vww_96_int8",
      "pretrainedResnet_quant", "ad01_int8");

  static Graph load(String model) {
    return Pipeline.DEFAULT.apply(ModelSource.load(
        SharedModels.file("mlperf-tiny/" + model + ".tflite").toString()));
  }

  @ParameterizedTest
  @CsvSource({"cpu,first,false", "diana,digital,false", "diana,analog,false",
      "diana,mixed,false", "diana,analog,true", "diana,mixed,true",
      "'dla:pe=64,sram=512KiB,par=output,dw=native',first,false",
      "'dla:pe=128,sram=1MiB,par=input,dw=emulated',first,false",
      "'dla:pe=64,sram=256MiB,dw=unsupported',lowest-cycles,false",
      "'dla:pe=128,sram=512KiB,par=output,dw=unsupported',first,false"})
  void everyRejectionNamesUnitAndParameter(String target, String policy, boolean ternarize) {
    HardwareDescription hw = Targets.resolve(target);
    for (String model : MODELS) {
      Graph g = load(model);
      if (ternarize) {
        g = Ternarize.apply(g).graph();
      }
      DispatchResult d = Dispatcher.dispatch(g, hw,
          new Dispatcher.Options(Policy.named(policy), ternarize, null));
      assertThat(d.layers()).hasSize(g.nodes().size());
      for (DispatchResult.LayerDispatch l : d.layers()) {
        assertThat(hw.unitNames()).contains(l.unit());
        if (l.fused()) {
          // Runs in the calls of an earlier convolution on the same accelerator.
          DispatchResult.LayerDispatch anchor = d.layers().get(l.fusedInto().getAsInt());
          assertThat(anchor.index()).isLessThan(l.index());
          assertThat(anchor.unit()).isEqualTo(l.unit()).isNotEqualTo(hw.cpu().name());
          assertThat(anchor.layer().orElseThrow().fusedNodes()).contains(l.node());
        } else if (l.accelerable()) {
          assertThat(l.accepted()).anyMatch(a -> a.unit().equals(l.unit()));
        } else {
          assertThat(l.unit()).isEqualTo(hw.cpu().name());
          assertThat(l.rejections()).hasSize(hw.accelerators().size());
        }
        for (DispatchResult.Rejection r : l.rejections()) {
          assertThat(r.reason()).isNotBlank().contains(Dispatcher.targetLabel(hw) + "." + r.unit());
          assertThat(r.reason()).containsAnyOf("kernel", "stride", "dilation", "padding",
              "depthwise", "dtype", "bits", "weights", "requant", "activation", "layout",
              "channels", "exceeds", "broadcast", "not supported", "no pattern", "fused");
        }
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"cpu", "diana", "dla"})
  void int8ModelsNeverGoAnalogWithoutTernaryWeights(String target) {
    HardwareDescription hw = Targets.resolve(target);
    for (String model : MODELS) {
      DispatchResult d = Dispatcher.dispatch(load(model), hw,
          Dispatcher.Options.of(Policy.defaultFor(hw)));
      assertThat(d.layers()).noneMatch(l -> l.unit().equals("analog"));
      if (target.equals("diana")) {
        assertThat(d.reasons()).anyMatch(r -> r.contains("diana.analog takes only ternary")
            && r.contains("kiln quantize --weights ternary"));
      }
      if (target.equals("cpu")) {
        assertThat(d.layers()).allMatch(l -> l.unit().equals(hw.cpu().name()));
      }
    }
  }

  @org.junit.jupiter.api.Test
  void mixedPutsEdgesAndDepthwiseOnDigital() {
    HardwareDescription hw = Targets.resolve("diana");
    for (String model : MODELS) {
      DispatchResult d = Dispatcher.dispatch(Ternarize.apply(load(model)).graph(), hw,
          new Dispatcher.Options(Policy.MIXED, true, null));
      List<DispatchResult.LayerDispatch> acc = d.layers().stream()
          .filter(DispatchResult.LayerDispatch::accelerable).toList();
      if (acc.isEmpty()) {
        continue;
      }
      for (int i = 0; i < acc.size(); i++) {
        DispatchResult.LayerDispatch l = acc.get(i);
        boolean wantDigital = i == 0 || i == acc.size() - 1 || l.layer().get().depthwise();
        boolean canDigital = l.accepted().stream().anyMatch(a -> a.unit().equals("digital"));
        boolean canAnalog = l.accepted().stream().anyMatch(a -> a.unit().equals("analog"));
        if (wantDigital && canDigital) {
          assertThat(l.unit()).as(model + " " + l.node()).isEqualTo("digital");
        } else if (!wantDigital && canAnalog) {
          assertThat(l.unit()).as(model + " " + l.node()).isEqualTo("analog");
        }
      }
    }
  }
}
