package io.kiln.quant;

import io.kiln.KilnException;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;

/** Per-tensor scale and zero point lookups that turn a missing quantization into a user error. */
final class TensorScales {
  private TensorScales() {}

  /** The per-tensor quantization of {@code t}; {@code role} names it in the error. */
  static Quantization.PerTensor perTensor(TensorType t, String role, String where) {
    if (t.quant() instanceof Quantization.PerTensor p) {
      return p;
    }
    throw new KilnException(where + ": " + role + " needs per-tensor quantization, has "
        + t.quant());
  }

  static float scale(TensorType t, String role, String where) {
    return perTensor(t, role, where).scale();
  }

  /** The zero point as the int32 TFLite keeps it. */
  static int zeroPoint(TensorType t, String role, String where) {
    long zp = perTensor(t, role, where).zeroPoint();
    if (zp != (int) zp) {
      throw new KilnException(where + ": " + role + " zero point " + zp + " does not fit int32");
    }
    return (int) zp;
  }
}
