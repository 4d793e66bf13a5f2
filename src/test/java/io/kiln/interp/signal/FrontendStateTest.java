package io.kiln.interp.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.testing.SharedModels;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The front-end's noise estimate is state: it carries across runs until a reset. */
class FrontendStateTest {

  private static byte[] runFrames(Interpreter interp, byte[] frames, int count) {
    Value in = interp.graph().inputValues().get(0);
    int size = (int) in.type().bytes();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int s = 0; s < count; s++) {
      byte[] part = Arrays.copyOfRange(frames, s * size, (s + 1) * size);
      List<Tensor> r = interp.run(List.of(Tensor.fromBytes(in.dtype(), in.shape(), part)));
      out.writeBytes(r.get(0).toBytes());
    }
    return out.toByteArray();
  }

  @Test
  void stateCarriesAcrossRunsAndResetRestartsIt() throws Exception {
    Graph g = TfliteImporter.load(
        SharedModels.file("tflm/micro_speech/audio_preprocessor_int8.tflite"));
    byte[] frames = Files.readAllBytes(SharedModels.file(
        "reference-outputs/audio_preprocessor_int8/yes_1000ms.in.bin"));
    Interpreter interp = new Interpreter(g);
    assertThat(interp.stateBytes()).isEqualTo(40 * 4);
    byte[] first = runFrames(interp, frames, 10);
    byte[] continued = runFrames(interp, frames, 10);
    assertThat(continued).as("the noise estimate kept from the first pass").isNotEqualTo(first);
    interp.reset();
    assertThat(runFrames(interp, frames, 10)).isEqualTo(first);
  }
}
