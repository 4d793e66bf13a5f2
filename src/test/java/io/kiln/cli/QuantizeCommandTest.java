package io.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeCommandTest {
  @TempDir
  Path dir;

  private static String adModel() {
    return SharedModels.file("mlperf-tiny/ad01_fp32.tflite").toString();
  }

  /** {@code n} seeded samples of the AD model's [1, 640] float input. */
  private Path calibration(String name, int n) throws IOException {
    SplittableRandom rng = new SplittableRandom(11);
    ByteBuffer b = ByteBuffer.allocate(n * 640 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n * 640; i++) {
      b.putFloat((float) rng.nextDouble(-60, 0));
    }
    return Files.write(dir.resolve(name), b.array());
  }

  @Test
  void quantizesWritesTextFormAndReports() throws IOException {
    Path cal = calibration("cal.bin", 8);
    Path out = dir.resolve("ad.kiln");
    CliRunner.Result r = CliRunner.kiln("quantize", adModel(), "--calibration", cal.toString(),
        "-o", out.toString(), "--per-channel", "--observer", "MSE", "--io", "float");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("quantized ad01_fp32 with 8 calibration samples (per-channel"
        + " int8 weights, mse observer, any scales, float I/O)")
        .contains("FullyConnected").contains("SQNR dB").contains("mean |error|");
    String text = Files.readString(out);
    assertThat(text).startsWith("graph ad01_fp32_int8").contains("Quantize(").contains(
        "Dequantize(");
  }

  @Test
  void tfliteOutputReimportsAsTheSameGraph() throws IOException {
    Path cal = calibration("cal.bin", 4);
    Path out = dir.resolve("ad.tflite");
    Path text = dir.resolve("ad.kiln");
    String[] common = {"quantize", adModel(), "--calibration", cal.toString(), "--per-channel",
        "--scales", "pow2"};
    CliRunner.Result r = CliRunner.kiln(concat(common, "-o", out.toString()));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("(TFLite flatbuffer)");
    assertThat(CliRunner.kiln(concat(common, "-o", text.toString())).code()).isZero();
    // The exported model, imported again, runs the same integer graph.
    io.kiln.ir.Graph reimported = io.kiln.frontend.tflite.TfliteImporter.load(out);
    String printed = io.kiln.ir.GraphPrinter.print(reimported);
    assertThat(printed.lines().filter(l -> l.contains("FullyConnected(")).count()).isEqualTo(10);
    assertThat(printed).contains("i8[1,640]");
    io.kiln.ir.Graph floatGraph = io.kiln.models.ModelSource.load(adModel());
    io.kiln.ir.Graph inProcess = io.kiln.quantize.PostTrainingQuantizer.quantize(floatGraph,
        io.kiln.quantize.CalibrationData.read(floatGraph, cal),
        io.kiln.quantize.QuantizeOptions.DEFAULTS.withPerChannel(true)
            .withScales(io.kiln.quantize.QuantizeOptions.ScaleMode.POW2));
    SplittableRandom rng = new SplittableRandom(5);
    int[] x = new int[640];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextInt(256) - 128;
    }
    java.util.List<io.kiln.interp.Tensor> in = java.util.List.of(io.kiln.interp.Tensor.ofInts(
        io.kiln.ir.DType.INT8, io.kiln.ir.Shape.of(1, 640), x));
    assertThat(new io.kiln.interp.Interpreter(reimported).run(in).get(0).ints)
        .containsExactly(new io.kiln.interp.Interpreter(inProcess).run(in).get(0).ints);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void wrongSizedCalibrationIsOneLineExit2() throws IOException {
    Path cal = Files.write(dir.resolve("short.bin"), new byte[1000]);
    CliRunner.Result r = CliRunner.kiln("quantize", adModel(), "--calibration", cal.toString(),
        "-o", dir.resolve("x").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).isEqualTo("kiln: calibration file " + cal + " has 1000 bytes, not a"
        + " positive multiple of one sample (2560 bytes: 'input_1' [1,640] as little-endian"
        + " float32)");
    assertThat(dir.resolve("x")).doesNotExist();
  }

  @Test
  void missingCalibrationIsOneLineExit2() {
    CliRunner.Result r = CliRunner.kiln("quantize", adModel(), "--calibration",
        dir.resolve("none.bin").toString(), "-o", dir.resolve("x").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: calibration file or directory not found")
        .doesNotContain("\n");
  }

  @Test
  void quantizedModelIsOneLineExit2() throws IOException {
    Path cal = Files.write(dir.resolve("c.bin"), new byte[4]);
    CliRunner.Result r = CliRunner.kiln("quantize", "builtin:ds_cnn", "--calibration",
        cal.toString(), "-o", dir.resolve("x").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).startsWith("kiln: model ").contains("is already quantized")
        .doesNotContain("\n");
  }

  @Test
  void badOptionValuesExit2() {
    CliRunner.Result r = CliRunner.kiln("quantize", "builtin:ds_cnn", "--calibration", "c",
        "-o", "x", "--scales", "pow3");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLine()).contains("'pow3' is not one of any, pow2").doesNotContain("\n");
    CliRunner.Result p = CliRunner.kiln("quantize", "builtin:ds_cnn", "--calibration", "c",
        "-o", "x", "--percentile", "20");
    assertThat(p.code()).isEqualTo(2);
    assertThat(p.errLine()).isEqualTo("kiln: --percentile must be in (50, 100], got 20.0");
  }

  /**
   * An output in a missing directory is refused before quantizing (it failed after the report,
   * naming a temporary file), and {@code -o X.onnx} writes an ONNX model, not the text form.
   */
  @Test
  void anUnwritableOutputFailsFirstAndAnOnnxOutputIsOnnx() throws IOException {
    Path cal = calibration("cal.bin", 2);
    Path missing = dir.resolve("missing/ad.tflite");
    CliRunner.Result r = CliRunner.kiln("quantize", adModel(), "--calibration", cal.toString(),
        "-o", missing.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.errLine()).isEqualTo("kiln: cannot write " + missing + ": no such directory "
        + missing.getParent());
    Path onnx = dir.resolve("ad.onnx");
    CliRunner.Result o = CliRunner.kiln("quantize", adModel(), "--calibration", cal.toString(),
        "-o", onnx.toString());
    assertThat(o.code()).as(o.err()).isZero();
    assertThat(o.out()).contains("(ONNX model)");
    assertThat(io.kiln.frontend.onnx.OnnxImporter.load(onnx).nodes()).isNotEmpty();
  }
}
