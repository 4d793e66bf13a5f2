package io.kiln.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationDataTest {
  private static final Graph G = SmallFloatNet.build(1);
  private static final int FLOATS = SmallFloatNet.INPUT.elements();

  @TempDir
  Path dir;

  private static byte[] samples(int n, float start) {
    ByteBuffer b = ByteBuffer.allocate(n * FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n * FLOATS; i++) {
      b.putFloat(start + i);
    }
    return b.array();
  }

  @Test
  void fileHoldsSamplesBackToBack() throws IOException {
    Path f = Files.write(dir.resolve("cal.bin"), samples(3, 0));
    List<List<Tensor>> s = CalibrationData.read(G, f);
    assertThat(s).hasSize(3);
    assertThat(s.get(1).get(0).floats[0]).isEqualTo(FLOATS);
  }

  @Test
  void directoryContributesFilesInNameOrder() throws IOException {
    Files.write(dir.resolve("b.bin"), samples(1, 1000));
    Files.write(dir.resolve("a.bin"), samples(2, 0));
    List<List<Tensor>> s = CalibrationData.read(G, dir);
    assertThat(s).hasSize(3);
    assertThat(s.get(2).get(0).floats[0]).isEqualTo(1000);
  }

  @Test
  void wrongSizeMissingAndEmptyAreOneLineErrors() throws IOException {
    Path bad = Files.write(dir.resolve("bad.bin"), new byte[FLOATS * 4 + 4]);
    assertThatThrownBy(() -> CalibrationData.read(G, bad)).isInstanceOf(KilnException.class)
        .hasMessageContaining("not a positive multiple of one sample (" + FLOATS * 4 + " bytes");
    Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);
    assertThatThrownBy(() -> CalibrationData.read(G, empty)).isInstanceOf(KilnException.class);
    assertThatThrownBy(() -> CalibrationData.read(G, dir.resolve("missing.bin")))
        .isInstanceOf(KilnException.class).hasMessageContaining("not found");
    Path sub = Files.createDirectory(dir.resolve("sub"));
    assertThatThrownBy(() -> CalibrationData.read(G, sub)).isInstanceOf(KilnException.class)
        .hasMessageContaining("holds no files");
  }
}
