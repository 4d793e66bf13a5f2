package io.kiln.interp.signal;

import io.kiln.interp.Kernel;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;

/** TFLite CAST: C's {@code static_cast} between element types (integers wrap, floats truncate). */
public final class CastKernel {
  private CastKernel() {}

  public static Kernel prepare(Graph g, Node n) {
    DType from = g.input(n, Op.Cast.INPUT).dtype();
    DType to = g.output(n).dtype();
    return inputs -> {
      Tensor in = inputs[Op.Cast.INPUT];
      Tensor out = Tensor.zeros(to, in.shape);
      for (int i = 0; i < in.elements(); i++) {
        switch (to) {
          case FLOAT32 -> out.floats[i] = toFloat(in, from, i);
          case INT64, UINT64 -> out.longs[i] = toLong(in, from, i);
          default -> out.ints[i] = narrow(toLong(in, from, i), to);
        }
      }
      return out;
    };
  }

  private static float toFloat(Tensor t, DType d, int i) {
    return switch (d) {
      case FLOAT32 -> t.floats[i];
      case INT64 -> t.longs[i];
      case UINT32 -> Integer.toUnsignedLong(t.ints[i]);
      case UINT64 -> unsignedToFloat(t.longs[i]);
      default -> t.ints[i];
    };
  }

  private static float unsignedToFloat(long v) {
    return v >= 0 ? v : new java.math.BigInteger(Long.toUnsignedString(v)).floatValue();
  }

  /** The source value as a long (floats truncated toward zero, as C converts them). */
  private static long toLong(Tensor t, DType d, int i) {
    return switch (d) {
      case FLOAT32 -> (long) t.floats[i];
      case INT64, UINT64 -> t.longs[i];
      case UINT32 -> Integer.toUnsignedLong(t.ints[i]);
      default -> t.ints[i];
    };
  }

  /** The low bits of {@code v} as the narrower integer type, widened back into an int. */
  private static int narrow(long v, DType to) {
    return switch (to) {
      case INT8 -> (byte) v;
      case UINT8 -> (int) (v & 0xFF);
      case BOOL -> v != 0 ? 1 : 0;
      case INT16 -> (short) v;
      default -> (int) v;
    };
  }
}
