package io.kiln.sim.dla;

import io.kiln.isa.dla.Opcode;
import io.kiln.isa.dla.Register;
import io.kiln.quant.FixedPoint;
import io.kiln.sim.SimMemories;

/**
 * The functional model of the DLA's standalone post-processing and element-wise instructions
 * (ReLU, leaky ReLU, abs, min, max, the int32 add and requantization, the int8 matrix multiply):
 * plain loops over {@code oy·ox·k} elements of the tiles the registers name. The conv, pooling,
 * int8 add and lookup-table instructions run in {@link io.kiln.sim.UnitFunctions}, which the
 * planner's jobs share.
 */
final class VectorOps {
  private final int[] r;
  private final SimMemories mem;
  private final String[] names;
  private final String where;

  VectorOps(int[] regs, SimMemories mem, String[] names, String where) {
    this.r = regs;
    this.mem = mem;
    this.names = names;
    this.where = where;
  }

  private int g(Register reg) {
    return r[reg.ordinal()];
  }

  private String memory(Register index) {
    int i = g(index);
    if (i < 0 || i >= names.length) {
      throw new io.kiln.sim.SimulationException(where + ": memory " + i + " does not exist");
    }
    return names[i];
  }

  private byte[] buf(Register memReg, Register addr, long bytes, String what) {
    return mem.checked(memory(memReg), Integer.toUnsignedLong(g(addr)), bytes, where + ": " + what);
  }

  private static int i32(byte[] m, int p) {
    return (m[p] & 0xff) | (m[p + 1] & 0xff) << 8 | (m[p + 2] & 0xff) << 16 | (m[p + 3] & 0xff) << 24;
  }

  private static void put32(byte[] m, int p, int v) {
    m[p] = (byte) v;
    m[p + 1] = (byte) (v >> 8);
    m[p + 2] = (byte) (v >> 16);
    m[p + 3] = (byte) (v >> 24);
  }

  private int clamp(long v) {
    return (int) Math.max(g(Register.ACT_MIN), Math.min(g(Register.ACT_MAX), v));
  }

  /** Elements the instruction touches. */
  long elements(Opcode op) {
    if (op == Opcode.OP_MAT_MUL) {
      return (long) g(Register.OY) * g(Register.K);
    }
    return (long) g(Register.OY) * g(Register.OX) * g(Register.K);
  }

  void run(Opcode op) {
    long n = elements(op);
    int in = g(Register.IN);
    int out = g(Register.OUT);
    int opd = g(Register.OPD);
    switch (op) {
      case OP_ACT_RELU, OP_ACT_LRELU, OP_E_ABS -> {
        byte[] a = buf(Register.IN_MEM, Register.IN, n, "the input tile");
        byte[] o = buf(Register.OUT_MEM, Register.OUT, n, "the output tile");
        for (int e = 0; e < n; e++) {
          o[out + e] = (byte) unary(op, a[in + e]);
        }
      }
      case OP_C_MIN, OP_C_MAX -> {
        byte[] a = buf(Register.IN_MEM, Register.IN, n, "the input tile");
        byte[] b = buf(Register.OPD_MEM, Register.OPD, n, "the operand tile");
        byte[] o = buf(Register.OUT_MEM, Register.OUT, n, "the output tile");
        for (int e = 0; e < n; e++) {
          o[out + e] = op == Opcode.OP_C_MIN ? (byte) Math.min(a[in + e], b[opd + e])
              : (byte) Math.max(a[in + e], b[opd + e]);
        }
      }
      case OP_E32_ADD -> {
        byte[] a = buf(Register.IN_MEM, Register.IN, 4 * n, "the input tile");
        byte[] b = buf(Register.OPD_MEM, Register.OPD, 4 * n, "the operand tile");
        byte[] o = buf(Register.OUT_MEM, Register.OUT, 4 * n, "the output tile");
        for (int e = 0; e < n; e++) {
          // int32 accumulators add with wraparound, as the accumulator adders do.
          put32(o, out + 4 * e, i32(a, in + 4 * e) + i32(b, opd + 4 * e));
        }
      }
      case OP_REQUANT32 -> {
        byte[] a = buf(Register.IN_MEM, Register.IN, 4 * n, "the input tile");
        byte[] o = buf(Register.OUT_MEM, Register.OUT, n, "the output tile");
        for (int e = 0; e < n; e++) {
          long v = (long) FixedPoint.multiplyByQuantizedMultiplier(i32(a, in + 4 * e), g(Register.MULT),
              g(Register.SHIFT)) + g(Register.OUT_ZP);
          o[out + e] = (byte) clamp(v);
        }
      }
      case OP_MAT_MUL -> matMul();
      default -> throw new IllegalStateException(op + " is not a vector instruction");
    }
  }

  private int unary(Opcode op, int x) {
    return switch (op) {
      case OP_ACT_RELU -> clamp(Math.max(x, g(Register.OUT_ZP)));
      case OP_E_ABS -> clamp(Math.abs(x));
      default -> {
        // TFLite's leaky ReLU: a non-negative alpha multiplier, negated after when alpha < 0.
        int v = x - g(Register.IN_ZP);
        long o = g(Register.OUT_ZP);
        if (v >= 0) {
          o += FixedPoint.multiplyByQuantizedMultiplier(v, g(Register.MULT), g(Register.SHIFT));
        } else {
          int m = g(Register.MULT2);
          int s = FixedPoint.multiplyByQuantizedMultiplier(v, m < 0 ? -m : m, g(Register.SHIFT2));
          o += m < 0 ? -s : s;
        }
        yield clamp(o);
      }
    };
  }

  /** int8 [M, K] (minus IN_ZP) times int8 [K, N] row-major; |sum| < K·2^16 fits int32 for K < 2^15. */
  private void matMul() {
    int m = g(Register.OY);
    int kd = g(Register.C);
    int nd = g(Register.K);
    int in = g(Register.IN);
    int w = g(Register.W);
    int out = g(Register.OUT);
    byte[] a = buf(Register.IN_MEM, Register.IN, (long) m * kd, "the left matrix");
    byte[] b = buf(Register.W_MEM, Register.W, (long) kd * nd, "the right matrix");
    byte[] o = buf(Register.OUT_MEM, Register.OUT, 4L * m * nd, "the product");
    int zp = g(Register.IN_ZP);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < nd; j++) {
        int acc = 0;
        for (int k = 0; k < kd; k++) {
          acc += (a[in + i * kd + k] - zp) * b[w + k * nd + j];
        }
        put32(o, out + 4 * (i * nd + j), acc);
      }
    }
  }
}
