package io.kiln.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader's errors: each is one line naming the file, the field path and the problem. The
 * broken files are the diana preset with one edit, so each test breaks exactly one thing.
 */
class HardwareLoaderTest {
  @TempDir
  Path dir;

  private static final String DIANA = Presets.commentedYaml("diana").orElseThrow();

  /** Writes diana with {@code from} replaced by {@code to} (which must occur) and loads it. */
  private HardwareDescription loadEdited(String from, String to) throws IOException {
    assertThat(DIANA).contains(from);
    Path f = dir.resolve("soc.yaml");
    Files.writeString(f, DIANA.replaceFirst(java.util.regex.Pattern.quote(from),
        java.util.regex.Matcher.quoteReplacement(to)));
    return HardwareLoader.load(f);
  }

  private void assertError(String from, String to, String... parts) {
    assertThatThrownBy(() -> loadEdited(from, to))
        .isInstanceOf(KilnException.class)
        .satisfies(e -> {
          assertThat(e.getMessage()).doesNotContain("\n");
          assertThat(e.getMessage()).startsWith(dir.resolve("soc.yaml") + ": ");
          for (String p : parts) {
            assertThat(e.getMessage()).contains(p);
          }
        });
  }

  @Test
  void unchangedFileLoads() throws IOException {
    assertThat(loadEdited("name: diana", "name: diana")).isEqualTo(Presets.get("diana"));
  }

  @Test
  void simulatorFieldsLoadAndAreChecked() throws IOException {
    HardwareDescription hw = loadEdited("    readers: [host]\n", "    readers: [host]\n    ports: 1\n");
    assertThat(hw.memory("l2").orElseThrow().ports()).isEqualTo(1);
    assertThat(hw.memory("l1").orElseThrow().ports()).isZero();
    assertError("    readers: [host]\n", "    readers: [host]\n    ports: -1\n", "memories[1].ports");
    HardwareDescription sync = loadEdited("    strided_dims: 2 ", "    synchronous: true\n    row_cycles: 3\n"
        + "    strided_dims: 2 ");
    assertThat(sync.dmas().get(0).synchronous()).isTrue();
    assertThat(sync.dmas().get(0).rowCycles()).isEqualTo(3);
    assertError("      model: output_blocks", "      model: blocks", "accelerators[0].timing.model");
  }

  @Test
  void missingField() {
    assertError("    peak_macs_per_cycle: 256\n", "",
        "accelerators[0].peak_macs_per_cycle: missing field");
    assertError("clock: 260 MHz\n\nmemories:", "memories:", "clock: missing field");
    assertError("        weights: [ternary]\n        # 7-bit", "        # 7-bit",
        "accelerators[1].patterns[0].weights: missing field");
  }

  @Test
  void negativeOrZeroSizes() {
    assertError("        size: 64 KiB", "        size: -64 KiB",
        "accelerators[0].memories.weights.size: must be positive, got -65536");
    assertError("    size: 512 KiB", "    size: 0", "memories[1].size: must be positive, got 0");
    assertError("    size: 512 KiB", "    size: 512 kB", "memories[1].size: expected a size",
        "KiB");
    assertError("    bandwidth_bytes_per_cycle: 8\n    setup_cycles: 40",
        "    bandwidth_bytes_per_cycle: 0\n    setup_cycles: 40",
        "dmas[0].bandwidth_bytes_per_cycle: must be positive, got 0");
    assertError("    setup_cycles: 40", "    setup_cycles: -1",
        "dmas[0].setup_cycles: must not be negative, got -1");
  }

  @Test
  void unknownUnitsAndMemories() {
    assertError("readers: [digital, analog]", "readers: [digital, anlog]",
        "memories[0].readers[1]: unknown unit 'anlog' (units: host, digital, analog)");
    assertError("    to: digital.weights", "    to: digital.weight",
        "dmas[1].to: unknown memory 'digital.weight'", "digital.weights");
    assertError("    l1: l1\n    memories:\n      weights:\n        size: 64 KiB",
        "    l1: l2\n    memories:\n      weights:\n        size: 64 KiB",
        "accelerators[0].l1: memory 'l2' must be writable and list 'digital' among its readers");
    assertError("          - {loops: [K], on: cols}", "          - {loops: [K], on: columns}",
        "accelerators[0].patterns[0].unroll[0].on: unknown array dimension 'columns'");
  }

  @Test
  void unknownFieldsAreErrors() {
    assertError("    double_buffering: true", "    double_buffer: true",
        "accelerators[0].double_buffer: unknown field (allowed here:", "double_buffering");
    assertError("\ndescription: DIANA", "\ndescripton: DIANA", "descripton: unknown field");
    assertError("    conv2d: {cycles_per_mac: 0.5}", "    conv2d: {cycles_per_element: 0.5}",
        "cpu.kernels.conv2d");
  }

  @Test
  void badEnumValuesListTheAllowedOnes() {
    assertError("kind: digital_pe_array", "kind: digital",
        "accelerators[0].kind: unknown value 'digital' (allowed: digital_pe_array, analog_imc, "
            + "nvdla, systolic, cluster)");
    assertError("weights: [int8]", "weights: [int9]",
        "accelerators[0].patterns[0].weights[0]: unknown value 'int9' (allowed: int8, int4, "
            + "int2, ternary)");
    assertError("    layout: chw", "    layout: hwc", "accelerators[0].layout", "nhwc, chw");
    assertError("outputs: [int8]", "outputs: [int64]",
        "accelerators[0].patterns[0].outputs[0]: unknown value 'int64' (allowed: int8, int16, "
            + "int32)");
  }

  @Test
  void structuralChecks() {
    assertError("      - {loops: [OX], on: rows}", "      - {loops: [OX], on: rows, factor: 17}",
        "unroll[1].factor: must be at most the size of 'rows' (16), got 17");
    assertError("    peak_macs_per_cycle: 256", "    peak_macs_per_cycle: 300",
        "accelerators[0].peak_macs_per_cycle: 300 MACs/cycle is more than the array's 256");
    assertError("        depthwise: native", "        depthwise: unsupported",
        "patterns[1].depthwise: a depthwise pattern must be native or emulated");
    assertError("        strides: [1, 2]\n        dilations: [1]\n        weights: [int8]\n"
            + "        outputs: [int8]\n        requant: [shift]\n        shift_rounding: floor\n        activations: [relu]\n"
            + "        fuses: [bias]\n      # Fully",
        "        strides: [1, 2]\n        dilations: [1]\n        weights: [int8]\n"
            + "        outputs: [int8]\n        requant: []\n        activations: [relu]\n"
            + "        fuses: [bias]\n      # Fully",
        "patterns[1].requant: an int8 output needs a requantization scheme");
    assertError("- name: dma_l2_digital_weights", "- name: dma_l2_l1",
        "dmas[1].name: duplicate DMA name 'dma_l2_l1'");
    assertError("  - name: analog\n", "  - name: digital\n",
        "accelerators[1].name: duplicate unit name 'digital'");
    assertError("kernel_sizes: 1..7", "kernel_sizes: 7..1", "kernel_sizes: expected 'any'");
  }

  @Test
  void weightLayoutIsAValidatedEnum() {
    assertError("    weight_layout: array_blocks", "    weight_layout: blocked",
        "accelerators[0].weight_layout: unknown value 'blocked' (allowed: tflite, array_blocks, array_tiles, crossbar)");
    assertError("    weight_layout: crossbar", "    weight_layout: [crossbar]",
        "accelerators[1].weight_layout: unknown value a list");
    // A crossbar image needs the reduction on one array dimension and K alone on another.
    assertError("    weight_layout: array_blocks", "    weight_layout: crossbar",
        "accelerators[0].weight_layout: crossbar does not fit pattern 'conv2d': crossbar needs K alone",
        "[C, FY, FX] together");
    assertError("          - {loops: [C, FY, FX], on: rows}", "          - {loops: [C, FY], on: rows}",
        "accelerators[1].weight_layout: crossbar does not fit pattern 'conv2d'");
  }

  @Test
  void outputStageFieldsAreValidated() throws IOException {
    assertError("        shift_rounding: floor\n        activations: [relu]\n        # The output"
        + " stage can", "        activations: [relu]\n        # The output stage can",
        "accelerators[0].patterns[0].shift_rounding: missing field", "floor or half_up");
    assertError("        shift_rounding: floor\n        activations: [relu]\n        # The output"
        + " stage can", "        shift_rounding: nearest\n        activations: [relu]\n"
        + "        # The output stage can", "accelerators[0].patterns[0].shift_rounding: unknown"
        + " value 'nearest' (allowed: floor, half_up)");
    assertError("        requant: [shift]\n        # Assumption: a plain",
        "        requant: [fixed_point]\n        # Assumption: a plain",
        "accelerators[0].patterns[0].shift_rounding: not allowed");
    assertError("        requant: [shift]\n        # Assumption: a plain",
        "        requant: [float_half_even]\n        # Assumption: a plain",
        "accelerators[0].patterns[0].requant: float_half_even is ONNX's float rounding");
    assertError("        output_bits: 6\n", "        output_bits: 9\n",
        "accelerators[1].patterns[0].output_bits: must be at most 8");
    assertError("        output_bits: 6\n", "        output_bits: 1\n",
        "accelerators[1].patterns[0].output_bits");
    assertError("    zero_points: fold\n", "    zero_points: ignore\n",
        "accelerators[0].zero_points: unknown value 'ignore' (allowed: fold, require_zero)");
    HardwareDescription hw = loadEdited("    zero_points: fold\n", "    zero_points: require_zero\n");
    assertThat(hw.accelerator("digital").orElseThrow().zeroPoints())
        .isEqualTo(Accelerator.ZeroPoints.REQUIRE_ZERO);
    HardwareDescription d = Presets.get("diana");
    assertThat(d.accelerator("analog").orElseThrow().patterns().get(0).outputBits()).isEqualTo(6);
    assertThat(d.accelerator("digital").orElseThrow().patterns().get(0).shiftRounding())
        .contains(io.kiln.ir.Requant.Rounding.FLOOR);
    // Optional fields: without them a unit folds zero points and writes 8 bits.
    HardwareDescription plain = loadEdited("        output_bits: 6\n", "");
    assertThat(plain.accelerator("analog").orElseThrow().patterns().get(0).outputBits())
        .isEqualTo(8);
    assertThat(loadEdited("    zero_points: fold\n", "").accelerator("digital").orElseThrow()
        .zeroPoints()).isEqualTo(Accelerator.ZeroPoints.FOLD);
  }

  @Test
  void outputStageFieldsRoundTripThroughTheWriter() throws IOException {
    HardwareDescription d = Presets.get("diana");
    Path f = dir.resolve("rt.yaml");
    Files.writeString(f, HardwareWriter.toYaml(d));
    assertThat(HardwareLoader.load(f)).isEqualTo(d);
    assertThat(HardwareWriter.toYaml(d)).contains("shift_rounding: floor").contains("output_bits: 6")
        .contains("zero_points: fold");
  }

  @Test
  void weightLayoutIsOptionalAndDefaultsToTheModelOrder() throws IOException {
    HardwareDescription hw = loadEdited("    weight_layout: array_blocks\n", "");
    assertThat(hw.accelerator("digital").orElseThrow().weightLayout()).isEqualTo(WeightLayout.TFLITE);
    assertThat(hw.accelerator("analog").orElseThrow().weightLayout()).isEqualTo(WeightLayout.CROSSBAR);
  }

  @Test
  void aMemoryNobodyCanFillIsAnError() {
    assertError("    to: digital.weights", "    to: l1",
        "accelerators[0].memories.weights: no DMA moves data into memory 'digital.weights'");
  }

  @Test
  void yamlSyntaxErrorsGiveTheLine() {
    assertError("clock: 260 MHz", "clock: [260 MHz", "not valid YAML");
    assertError("clock: 260 MHz", "clock: 260 MHz\nclock: 100 MHz", "line",
        "Duplicate field 'clock'");
  }

  @Test
  void unreadableFiles() {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> HardwareLoader.load(missing))
        .isInstanceOf(KilnException.class)
        .hasMessage(missing + ": cannot read hardware description: it does not exist");
    assertThatThrownBy(() -> HardwareLoader.load(dir))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith(dir + ": cannot read hardware description");
  }

  @Test
  void emptyOrNonMappingDocuments() {
    assertThatThrownBy(() -> HardwareLoader.parse("", "x.yaml"))
        .hasMessage("x.yaml: empty hardware description");
    assertThatThrownBy(() -> HardwareLoader.parse("- 1\n- 2\n", "x.yaml"))
        .hasMessage("x.yaml: expected a mapping of fields at the top level, got a list");
  }

  @Test
  void targetsResolvePresetsAndFiles() throws IOException {
    assertThat(Targets.resolve("diana")).isEqualTo(Presets.get("diana"));
    assertThat(Targets.resolve("dla:pe=128").accelerators().get(0).peakMacsPerCycle())
        .isEqualTo(128);
    Path f = dir.resolve("mine.yaml");
    Files.writeString(f, HardwareWriter.toYaml(Presets.get("cpu")).replaceFirst("(?m)^name: cpu$",
        "name: mine"));
    HardwareDescription mine = Targets.resolve(f.toString());
    assertThat(mine.name()).isEqualTo("mine");
    assertThat(mine.cpu()).isEqualTo(Presets.get("cpu").cpu());
    assertThatThrownBy(() -> Targets.resolve("dianna"))
        .hasMessage("unknown target 'dianna' (presets: cpu, diana, dla, systolic; or the path of a .yaml "
            + "hardware file)");
  }

  @Test
  void quantitiesReadAndWriteHumanUnits() {
    String[] problem = new String[1];
    assertThat(Quantities.parseSize("256 KiB", problem)).contains(256L * 1024);
    assertThat(Quantities.parseSize("1.5 MiB", problem)).contains(1536L * 1024);
    assertThat(Quantities.parseSize("100", problem)).contains(100L);
    assertThat(Quantities.parseSize("0.5 B", problem)).isEmpty();
    assertThat(problem[0]).contains("not a whole number of bytes");
    assertThat(Quantities.parseSize("64 kB", problem)).isEmpty();
    assertThat(problem[0]).contains("units: B, KiB, MiB, GiB");
    assertThat(Quantities.parseFrequency("260 MHz", problem)).contains(260_000_000L);
    assertThat(Quantities.formatSize(256 * 1024)).isEqualTo("256 KiB");
    assertThat(Quantities.formatSize(1000)).isEqualTo("1000");
    assertThat(Quantities.formatSize(147456)).isEqualTo("144 KiB");
    assertThat(Quantities.formatFrequency(260_000_000L)).isEqualTo("260 MHz");
    assertThat(Quantities.formatFrequency(1_500_000_000L)).isEqualTo("1500 MHz");
  }
}
