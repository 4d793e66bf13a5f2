package io.kiln.quantize;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.Value;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The MLPerf Tiny post-training quantization experiment of docs/quantization.md: quantize a float
 * reference model with seeded calibration inputs, then compare Kiln's int8 model and the int8
 * model MLCommons published against the float model on the same seeded evaluation inputs.
 */
public final class MlperfPtq {
  static final long CALIBRATION_SEED = 20261122L;
  static final long EVALUATION_SEED = 4242L;
  static final int AD_FRAMES = 200;
  static final int AD_MELS = 128;
  static final int AD_WINDOW_FRAMES = 5;

  /** A float model, its published int8 twin, and whether real AD windows join calibration. */
  public record Case(String floatModel, String publishedModel, boolean adWindows) {}

  public static final Case KWS = new Case("kws_ref_model_float32.tflite", "kws_ref_model.tflite", false);
  public static final Case RESNET = new Case("pretrainedResnet.tflite", "pretrainedResnet_quant.tflite",
      false);
  public static final Case VWW = new Case("vww_96_float.tflite", "vww_96_int8.tflite", false);
  public static final Case AD = new Case("ad01_fp32.tflite", "ad01_int8.tflite", true);

  /** Kiln's and MLCommons' int8 models against the float model. */
  public record Result(Graph kiln, OutputAgreement kilnAgreement, OutputAgreement publishedAgreement,
      QuantizationReport report) {}

  private MlperfPtq() {}

  public static Result run(Path dir, Case c, int calibrationCount, int evalCount,
      QuantizeOptions options) {
    Graph floatGraph = TfliteImporter.load(dir.resolve(c.floatModel()));
    Graph published = TfliteImporter.load(dir.resolve(c.publishedModel()));
    Value pin = published.inputValues().get(0);
    List<List<Tensor>> calibration = new ArrayList<>(
        randomInputs(pin, CALIBRATION_SEED, calibrationCount));
    if (c.adWindows()) {
      calibration.addAll(adWindows(dir.resolve("samples/ad01/normal_id_01_00000000_hist_librosa.bin"),
          floatGraph.inputValues().get(0).shape()));
    }
    Graph kiln = PostTrainingQuantizer.quantize(floatGraph, calibration, options);
    List<List<Tensor>> eval = randomInputs(pin, EVALUATION_SEED, evalCount);
    QuantizationReport report = QuantizationReport.compare(floatGraph, kiln, eval);
    return new Result(kiln, report.agreement(),
        publishedAgreement(floatGraph, published, eval), report);
  }

  /** Feeds the published model the same samples, quantized with its own input parameters. */
  static OutputAgreement publishedAgreement(Graph floatGraph, Graph published,
      List<List<Tensor>> eval) {
    Interpreter fi = new Interpreter(floatGraph);
    Interpreter pi = new Interpreter(published);
    Value po = published.outputValues().get(0);
    OutputAgreement a = new OutputAgreement(QuantizationReport.isClassifier(floatGraph));
    for (List<Tensor> sample : eval) {
      float[] ref = fi.run(sample).get(0).floats;
      Tensor out = pi.run(QuantTensors.inputsFor(published, sample)).get(0);
      a.add(ref, QuantTensors.real(out, po.quant()));
    }
    return a;
  }

  /**
   * Uniform random int8 codes dequantized with the published model's input quantization: inputs
   * in the float model's range that the int8 model represents exactly (reference-outputs
   * MANIFEST §4 feeds float twins the same way).
   */
  static List<List<Tensor>> randomInputs(Value int8Input, long seed, int count) {
    SplittableRandom rng = new SplittableRandom(seed);
    Quantization q = int8Input.quant();
    Shape shape = int8Input.shape();
    List<List<Tensor>> out = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      float[] x = new float[shape.elements()];
      for (int i = 0; i < x.length; i++) {
        int code = rng.nextInt(256) - 128;
        x[i] = (float) ((double) q.scale() * (code - q.zeroPoint()));
      }
      out.add(List.of(Tensor.ofFloats(shape, x)));
    }
    return out;
  }

  /** The 196 windows of 5 consecutive log-mel frames of the real AD clip, flattened to 640. */
  static List<List<Tensor>> adWindows(Path clip, Shape inputShape) {
    float[] frames;
    try {
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(clip)).order(ByteOrder.LITTLE_ENDIAN);
      frames = new float[AD_FRAMES * AD_MELS];
      for (int i = 0; i < frames.length; i++) {
        frames[i] = b.getFloat();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<List<Tensor>> out = new ArrayList<>();
    int window = AD_WINDOW_FRAMES * AD_MELS;
    for (int start = 0; start + AD_WINDOW_FRAMES <= AD_FRAMES; start++) {
      float[] x = new float[window];
      System.arraycopy(frames, start * AD_MELS, x, 0, window);
      out.add(List.of(Tensor.ofFloats(inputShape, x)));
    }
    return out;
  }
}
