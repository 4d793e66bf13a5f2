package io.kiln.interp;

import static io.kiln.interp.KernelTestGraphs.f32;
import static io.kiln.interp.KernelTestGraphs.floats;
import static io.kiln.interp.KernelTestGraphs.ints;
import static io.kiln.interp.KernelTestGraphs.q;
import static io.kiln.interp.KernelTestGraphs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import io.kiln.ir.DType;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Quantize (float and requantize paths) and Dequantize. */
class QuantizeKernelsTest {

  @Test
  void floatToInt8RoundsTiesAwayFromZeroAndSaturates() {
    TensorType in = f32(7);
    TensorType out = q(DType.INT8, 0.5, 1, 7);
    Tensor r = run(new Op.Quantize(), out, List.of(in),
        floats(in, 0.25f, -0.25f, 0.74f, -0.76f, 1000f, -1000f, Float.NaN));
    // 0.5 -> 1 (+1 zp = 2); -0.5 -> -1 (0); 1.48 -> 1 (2); -1.52 -> -2 (-1); saturation.
    assertThat(r.ints).containsExactly(2, 0, 2, -1, 127, -128, -128);
  }

  @Test
  void floatToInt16() {
    TensorType in = f32(3);
    TensorType out = q(DType.INT16, 1.0 / 1024, 0, 3);
    Tensor r = run(new Op.Quantize(), out, List.of(in), floats(in, 1f, -31.9999f, 40f));
    assertThat(r.ints).containsExactly(1024, -32768, 32767);
  }

  @Test
  void requantizesBetweenIntegerTypes() {
    // int32 (scale 1/4) -> int16 (scale 1/2): halves. With a multiplier of exactly 0.5 the
    // rounding happens in the doubling high multiply, whose nudge sends -1.5 to -1 (not -2).
    TensorType i32 = q(DType.INT32, 0.25, 0, 5);
    TensorType i16 = q(DType.INT16, 0.5, 0, 5);
    Tensor r = run(new Op.Quantize(), i16, List.of(i32),
        ints(i32, 3, -3, 4, 100000, -100000));
    assertThat(r.ints).containsExactly(2, -1, 2, 32767, -32768);
    // int16 (scale 1/2) -> int32 (scale 1/8): times 4, no clamping needed.
    TensorType i16b = q(DType.INT16, 0.5, 0, 2);
    TensorType i32b = q(DType.INT32, 0.125, 0, 2);
    assertThat(run(new Op.Quantize(), i32b, List.of(i16b), ints(i16b, 32767, -32768)).ints)
        .containsExactly(131068, -131072);
    // int8 -> int8 with a zero-point change only.
    TensorType a = q(DType.INT8, 0.1, 5, 3);
    TensorType b = q(DType.INT8, 0.1, -5, 3);
    assertThat(run(new Op.Quantize(), b, List.of(a), ints(a, 5, 127, -128)).ints)
        .containsExactly(-5, 117, -128);
  }

  @Test
  void dequantizeUsesDoubleScale() {
    TensorType in = q(DType.INT8, 0.1, -3, 3);
    Tensor r = run(new Op.Dequantize(), f32(3), List.of(in), ints(in, -3, 7, -128));
    assertThat(r.floats).containsExactly(0f, (float) (((double) 0.1f) * 10),
        (float) (((double) 0.1f) * -125));
    TensorType s = q(DType.INT16, 1.0 / 256, 0, 1);
    assertThat(run(new Op.Dequantize(), f32(1), List.of(s), ints(s, -512)).floats)
        .containsExactly(-2f);
  }

  @Test
  void unsupportedCombinationsAreUserErrors() {
    TensorType in = f32(2);
    TensorType i32 = q(DType.INT32, 1.0, 0, 2);
    assertThatThrownBy(() -> run(new Op.Quantize(), i32, List.of(in), floats(in, 1f, 2f)))
        .isInstanceOf(KilnException.class).hasMessageContaining("Quantize on f32 -> i32");
    TensorType u8 = q(DType.UINT8, 1.0, 0, 2);
    TensorType i16 = q(DType.INT16, 1.0, 0, 2);
    assertThatThrownBy(() -> run(new Op.Quantize(), i16, List.of(u8), ints(u8, 1, 2)))
        .isInstanceOf(KilnException.class).hasMessageContaining("u8 -> i16");
    TensorType plain = TensorType.of(DType.INT32, 2);
    assertThatThrownBy(() -> run(new Op.Quantize(), i16, List.of(plain), ints(plain, 1, 2)))
        .isInstanceOf(KilnException.class).hasMessageContaining("per-tensor quantization");
  }
}
