package io.kiln.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.RequantScheme;
import io.kiln.target.Accelerator.DepthwiseSupport;
import io.kiln.target.OpPattern.Op;
import io.kiln.target.OpPattern.Unroll;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The built-in presets load, validate, say what the seeds describe, and round-trip. */
class PresetsTest {

  @Test
  void everyPresetLoadsAndValidates() {
    for (String name : Presets.names()) {
      HardwareDescription hw = Presets.get(name);
      assertThat(hw.name()).isEqualTo(name);
      assertThat(hw.description()).isNotBlank();
      assertThat(hw.cpu().kernels()).hasSize(Cpu.KernelKind.values().length);
    }
    assertThat(Presets.all()).extracting(Presets.Preset::name).containsExactly("cpu", "diana",
        "dla", "systolic");
  }

  @Test
  void cpuIsAPlainMicrocontroller() {
    HardwareDescription cpu = Presets.get("cpu");
    assertThat(cpu.accelerators()).isEmpty();
    assertThat(cpu.clockHz()).isEqualTo(100_000_000L);
    assertThat(cpu.cpu().cores()).isEqualTo(1);
    assertThat(cpu.cpu().simdWidthBits()).isEqualTo(32);
    assertThat(cpu.memory("sram").orElseThrow().sizeBytes()).isEqualTo(256 * 1024);
    MemoryLevel flash = cpu.memory("flash").orElseThrow();
    assertThat(flash.sizeBytes()).isEqualTo(1024 * 1024);
    assertThat(flash.writable()).isFalse();
  }

  @Test
  void dianaMatchesThePublishedArchitecture() {
    HardwareDescription d = Presets.get("diana");
    assertThat(d.clockHz()).isEqualTo(260_000_000L);
    assertThat(d.cpu().isa()).isEqualTo("rv32imcf");
    assertThat(d.cpu().extensions()).containsExactly("xpulp");
    assertThat(d.memory("l1").orElseThrow().sizeBytes()).isEqualTo(256 * 1024);
    assertThat(d.memory("l2").orElseThrow().sizeBytes()).isEqualTo(512 * 1024);
    assertThat(d.memory("digital.weights").orElseThrow().sizeBytes()).isEqualTo(64 * 1024);
    // 1152 x 512 ternary cells at 2 bits each.
    assertThat(d.memory("analog.weights").orElseThrow().sizeBytes())
        .isEqualTo(1152L * 512 * 2 / 8);

    Accelerator digital = d.accelerator("digital").orElseThrow();
    assertThat(digital.peakMacsPerCycle()).isEqualTo(256);
    assertThat(digital.arrayCells()).isEqualTo(256);
    assertThat(digital.layout()).isEqualTo(Layout.CHW);
    assertThat(digital.depthwise()).isEqualTo(DepthwiseSupport.NATIVE);
    OpPattern conv = digital.patterns(Op.CONV2D).get(0);
    assertThat(conv.unroll()).containsExactly(new Unroll(List.of(LoopDim.K), "cols", 16),
        new Unroll(List.of(LoopDim.OX), "rows", 16));
    assertThat(conv.requant()).containsExactly(RequantScheme.SHIFT);
    assertThat(conv.weights()).containsExactly(OpPattern.WeightFormat.INT8);
    // Fully connected runs as a 1x1 conv over a 1 x batch image, as DIANA's runtime runs it.
    assertThat(digital.patterns(Op.FULLY_CONNECTED).get(0).unroll()).extracting(Unroll::loops)
        .containsExactly(List.of(LoopDim.K), List.of(LoopDim.OX));
    // Depthwise uses one row: 16 of the 256 PEs.
    assertThat(digital.patterns(Op.DEPTHWISE_CONV2D).get(0).unroll())
        .containsExactly(new Unroll(List.of(LoopDim.C), "cols", 16));
    assertThat(digital.tiling().heuristics()).contains(
        new TilingPolicy.Heuristic.MultipleOf(LoopDim.C, 16, 1000),
        new TilingPolicy.Heuristic.MultipleOf(LoopDim.OX, 16, 1000));

    assertThat(digital.weightLayout()).isEqualTo(WeightLayout.ARRAY_BLOCKS);

    Accelerator analog = d.accelerator("analog").orElseThrow();
    assertThat(analog.weightLayout()).isEqualTo(WeightLayout.CROSSBAR);
    assertThat(analog.kind()).isEqualTo(Accelerator.Kind.ANALOG_IMC);
    assertThat(analog.arrayDim("rows").orElseThrow().size()).isEqualTo(1152);
    assertThat(analog.arrayDim("cols").orElseThrow().size()).isEqualTo(512);
    OpPattern aconv = analog.patterns(Op.CONV2D).get(0);
    assertThat(aconv.unroll().get(0).loops()).containsExactly(LoopDim.C, LoopDim.FY, LoopDim.FX);
    assertThat(aconv.weights()).containsExactly(OpPattern.WeightFormat.TERNARY);
    assertThat(aconv.inputBits()).isEqualTo(7);
    assertThat(aconv.fuses()).contains(OpPattern.FusedStage.BATCH_NORM,
        OpPattern.FusedStage.RESIDUAL_ADD);
    assertThat(analog.cyclesPerArrayStep()).isEqualTo(16.0);
    assertThat(digital.cyclesPerArrayStep()).isEqualTo(1.0);
    assertThat(analog.depthwise()).isEqualTo(DepthwiseSupport.UNSUPPORTED);

    // Every memory an accelerator uses is reachable from L2.
    assertThat(d.dma("l2", "l1")).isPresent();
    assertThat(d.dma("l1", "l2")).isPresent();
    assertThat(d.dma("l2", "digital.weights")).isPresent();
    assertThat(d.dma("digital.weights", "l2")).isEmpty();
  }

  @Test
  void dlaParametersReshapeTheDescription() {
    HardwareDescription dflt = Presets.get("dla");
    Accelerator base = dflt.accelerators().get(0);
    assertThat(base.peakMacsPerCycle()).isEqualTo(64);
    assertThat(base.depthwise()).isEqualTo(DepthwiseSupport.EMULATED);
    assertThat(dflt.memory("sram").orElseThrow().sizeBytes()).isEqualTo(512 * 1024);
    assertThat(base.tiling().split()).containsExactly(LoopDim.K);

    HardwareDescription big = Presets.get("dla:pe=128,sram=1MiB,par=output,dw=native");
    Accelerator a = big.accelerators().get(0);
    assertThat(big.name()).isEqualTo("dla:pe=128,sram=1MiB,par=output,dw=native");
    assertThat(a.peakMacsPerCycle()).isEqualTo(128);
    assertThat(big.memory("sram").orElseThrow().sizeBytes()).isEqualTo(1024 * 1024);
    assertThat(a.depthwise()).isEqualTo(DepthwiseSupport.NATIVE);
    assertThat(a.patterns(Op.DEPTHWISE_CONV2D).get(0).unroll())
        .containsExactly(new Unroll(List.of(LoopDim.C), "pe", 128));
    assertThat(a.patterns(Op.CONV2D).get(0).unroll())
        .containsExactly(new Unroll(List.of(LoopDim.K), "pe", 128));
    assertThat(a.tiling().heuristics())
        .containsExactly(new TilingPolicy.Heuristic.MultipleOf(LoopDim.K, 128, 1000));
    assertThat(a.patterns(Op.MAX_POOL).get(0).unroll().get(0).factor()).isEqualTo(128);

    Accelerator in = Presets.get("dla:par=input,dw=unsupported,sram=256MiB").accelerators()
        .get(0);
    assertThat(in.patterns(Op.CONV2D).get(0).unroll().get(0).loops()).containsExactly(LoopDim.C);
    assertThat(in.patterns(Op.FULLY_CONNECTED).get(0).unroll().get(0).loops())
        .containsExactly(LoopDim.C);
    assertThat(in.depthwise()).isEqualTo(DepthwiseSupport.UNSUPPORTED);
    assertThat(in.patterns(Op.DEPTHWISE_CONV2D)).isEmpty();
    assertThat(in.patterns(Op.CONV2D).get(0).outputs()).containsExactly(DType.INT8, DType.INT32);

    // The layout follows the parameters through the unrolling: array blocks either way.
    assertThat(base.weightLayout()).isEqualTo(WeightLayout.ARRAY_BLOCKS);
    assertThat(in.weightLayout()).isEqualTo(WeightLayout.ARRAY_BLOCKS);

    // Spelling out the defaults is the default preset.
    assertThat(Presets.get("dla:pe=64,sram=512KiB,par=output,dw=emulated")).isEqualTo(dflt);
  }

  /** Every dla combination: its canonical YAML loads back to equal records. */
  @Test
  void everyDlaCombinationRoundTrips() {
    List<String> specs = new ArrayList<>();
    for (String pe : List.of("64", "128")) {
      for (String sram : List.of("512KiB", "1MiB", "256MiB")) {
        for (String par : List.of("output", "input")) {
          for (String dw : List.of("native", "emulated", "unsupported")) {
            specs.add("dla:pe=" + pe + ",sram=" + sram + ",par=" + par + ",dw=" + dw);
          }
        }
      }
    }
    assertThat(specs).hasSize(36);
    for (String spec : specs) {
      HardwareDescription hw = Presets.get(spec);
      assertThat(HardwareLoader.parse(HardwareWriter.toYaml(hw), spec)).as(spec).isEqualTo(hw);
      assertThat(Presets.get(hw.name())).as(spec).isEqualTo(hw);
    }
  }

  @Test
  void commentedPresetTextLoadsToTheSameRecords() {
    for (String name : Presets.names()) {
      String text = Presets.commentedYaml(name).orElseThrow();
      assertThat(text).contains("#");
      assertThat(HardwareLoader.parse(text, name)).isEqualTo(Presets.get(name));
      HardwareDescription hw = Presets.get(name);
      assertThat(HardwareLoader.parse(HardwareWriter.toYaml(hw), name)).isEqualTo(hw);
    }
    assertThat(Presets.commentedYaml("dla:pe=128")).isEmpty();
  }

  @Test
  void badDlaParametersListTheAllowedValues() {
    assertThatThrownBy(() -> Presets.get("dla:pe=96")).isInstanceOf(KilnException.class)
        .hasMessageContaining("pe='96'").hasMessageContaining("allowed: 64, 128");
    assertThatThrownBy(() -> Presets.get("dla:sram=2MiB"))
        .hasMessageContaining("allowed: 512KiB, 1MiB, 256MiB");
    assertThatThrownBy(() -> Presets.get("dla:par=both"))
        .hasMessageContaining("allowed: output, input");
    assertThatThrownBy(() -> Presets.get("dla:dw=maybe"))
        .hasMessageContaining("allowed: native, emulated, unsupported");
    assertThatThrownBy(() -> Presets.get("dla:lanes=4"))
        .hasMessageContaining("unknown parameter 'lanes' (allowed: pe, sram, par, dw)");
    assertThatThrownBy(() -> Presets.get("dla:pe=64,pe=128"))
        .hasMessageContaining("given twice");
    assertThatThrownBy(() -> Presets.get("dla:pe")).hasMessageContaining("expected KEY=VALUE");
    assertThatThrownBy(() -> Presets.get("diana:pe=64"))
        .hasMessageContaining("target diana: this preset takes no parameters");
    for (String bad : List.of("dla:pe=96", "dla:lanes=4", "diana:x=1")) {
      assertThatThrownBy(() -> Presets.get(bad)).satisfies(
          e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
  }

  @Test
  void cpuCoreParameterChoosesTheCoreAndRoundTripsThroughYaml() {
    assertThat(Presets.get("cpu").cpu().core()).isEqualTo(CpuCore.GENERIC);
    assertThat(Presets.get("cpu:core=generic")).isEqualTo(Presets.get("cpu"));
    for (CpuCore core : CpuCore.values()) {
      HardwareDescription hw = Presets.get("cpu:core=" + core.id());
      assertThat(hw.cpu().core()).isEqualTo(core);
      // The field a user writes in a description: the written YAML loads to the same record.
      String yaml = HardwareWriter.toYaml(hw);
      assertThat(yaml.contains("core: " + core.id())).isEqualTo(core != CpuCore.GENERIC);
      assertThat(HardwareLoader.parse(yaml, "x.yaml")).isEqualTo(hw);
    }
    assertThat(Presets.commentedYaml("cpu:core=cortex-m4")).isEmpty();
    assertThat(Presets.commentedYaml("cpu:core=generic")).isPresent();
  }

  @Test
  void badCoresAreOneLineErrors() {
    assertThatThrownBy(() -> Presets.get("cpu:core=cortex-a53")).isInstanceOf(KilnException.class)
        .hasMessage("target cpu: unknown core 'cortex-a53' (known: generic|cortex-m3|cortex-m4|"
            + "cortex-m7|cortex-m33|cortex-m55|rv32imc)");
    assertThatThrownBy(() -> Presets.get("cpu:isa=x"))
        .hasMessageStartingWith("target cpu: unknown parameter 'isa=x'");
    String yaml = HardwareWriter.toYaml(Presets.get("cpu:core=cortex-m7"))
        .replace("core: cortex-m7", "core: z80");
    assertThatThrownBy(() -> HardwareLoader.parse(yaml, "x.yaml")).isInstanceOf(KilnException.class)
        .hasMessageContaining("core").hasMessageContaining("unknown core 'z80'");
  }

  @Test
  void coresSayWhatTheyRun() {
    assertThat(CpuCore.CORTEX_M4.family()).isEqualTo(CpuCore.KernelFamily.DSP);
    assertThat(CpuCore.CORTEX_M3.family()).isEqualTo(CpuCore.KernelFamily.PLAIN_C);
    assertThat(CpuCore.GENERIC.gccFlags()).isEmpty();
    assertThat(CpuCore.CORTEX_M3.runs(CpuCore.GENERIC)).isTrue();
    assertThat(CpuCore.CORTEX_M3.runs(CpuCore.CORTEX_M4)).isFalse();
    assertThat(CpuCore.CORTEX_M55.runs(CpuCore.CORTEX_M4)).isTrue();
    assertThat(CpuCore.named(" Cortex-M7 ")).isEqualTo(CpuCore.CORTEX_M7);
  }
}
