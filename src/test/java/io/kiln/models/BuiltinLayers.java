package io.kiln.models;

import io.kiln.ir.Graph;
import io.kiln.ir.Shape;
import io.kiln.quantize.PostTrainingQuantizer;

/**
 * Single layers of the 224x224 built-ins, built and quantized as {@link Builtins} builds the whole
 * networks (seeded float weights, TFLite's full-integer recipe, calibration pixels in [0, 1]), so
 * that a test can check one of their layers without the network.
 */
public final class BuiltinLayers {
  private BuiltinLayers() {}

  /** A W_I x W_I x C_I conv of C_O filters W_F x W_F at {@code stride}, SAME padding, ReLU. */
  public static Graph conv(String name, int wi, int c, int k, int wf, int stride) {
    FloatNetBuilder b = new FloatNetBuilder(name, 0x6C617972L + wi * 31L + c * 7L + k + wf);
    int x = b.input("input", Shape.of(1, wi, wi, c));
    return quantize(b.build(b.conv(name, x, k, wf, wf, stride, true, true)));
  }

  /** A fully-connected layer of {@code k} outputs over {@code c} inputs, no activation. */
  public static Graph fc(String name, int c, int k) {
    FloatNetBuilder b = new FloatNetBuilder(name, 0x66634C79L + c + k);
    int x = b.input("input", Shape.of(1, c));
    return quantize(b.build(b.fullyConnected(name, x, k, false)));
  }

  private static Graph quantize(Graph f) {
    return PostTrainingQuantizer.quantize(f, new UniformInputs(0x6C63616CL, 0f, 1f, 1).draw(f),
        Builtins.QUANTIZATION);
  }
}
