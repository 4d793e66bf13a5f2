package io.kiln.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSourceTest {
  @TempDir
  Path tmp;

  @Test
  void loadsBuiltins() {
    assertThat(ModelSource.load("builtin:ds_cnn").name()).isEqualTo("ds_cnn");
    assertThat(ModelSource.load("builtin:resnet").name()).isEqualTo("resnet");
  }

  @Test
  void unknownBuiltinIsAUserError() {
    assertThatThrownBy(() -> ModelSource.load("builtin:"))
        .isInstanceOf(KilnException.class).hasMessageStartingWith("unknown built-in model ''");
  }

  @Test
  void missingFileIsNamed() {
    String p = tmp.resolve("nope.tflite").toString();
    assertThatThrownBy(() -> ModelSource.load(p))
        .isInstanceOf(KilnException.class).hasMessage("model file not found: " + p);
  }

  @Test
  void unknownExtensionNamesTheAcceptedFormats() throws IOException {
    Path f = Files.writeString(tmp.resolve("model.pb"), "x");
    assertThatThrownBy(() -> ModelSource.load(f.toString()))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("model.pb")
        .hasMessageContaining(".tflite").hasMessageContaining(".onnx")
        .hasMessageContaining("builtin:NAME");
  }

  @Test
  void onnxGoesToTheOnnxImporter() throws IOException {
    Path f = Files.writeString(tmp.resolve("Model.ONNX"), "x");
    assertThatThrownBy(() -> ModelSource.load(f.toString()))
        .isInstanceOf(KilnException.class)
        .hasMessageStartingWith("Model is not a valid ONNX model (malformed protobuf");
  }

  @Test
  void directoryIsNotAModel() throws IOException {
    Path d = Files.createDirectory(tmp.resolve("dir.tflite"));
    assertThatThrownBy(() -> ModelSource.load(d.toString()))
        .isInstanceOf(KilnException.class).hasMessageContaining("not a regular file");
  }
}
