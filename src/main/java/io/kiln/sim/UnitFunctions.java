package io.kiln.sim;

import io.kiln.quant.FixedPoint;
import java.util.Map;

/**
 * The functional model of an accelerator job, in Java: what a unit computes for one tile from
 * the bytes in its L1 and weight memory (int32 accumulation in 64 bits for shift stages, the
 * unit's output stage, the fused residual Add and pooling), described by the job's fields (the
 * {@code kiln_job} descriptor of {@link io.kiln.codegen.accel.Jobs}, which both the generated
 * program and this model read). It is written apart from the C host HAL so that the two execute
 * the same descriptors independently and check each other against the interpreter. A conv job's
 * multiply-accumulates are a {@link ConvTile.Sums} over the decoded operands: the direct loop by
 * default, a unit's own data flow (the systolic array's) when its call model brings one.
 */
public final class UnitFunctions {
  private final Map<String, Long> f;
  private final SimMemories mem;
  private final String[] memoryNames;
  private final int[] lut;
  private final String where;
  private final ConvTile.Sums sums;

  // The fields the inner loops read, hoisted out of the map.
  private final boolean chw;
  private final long kb;
  private final long cb;
  private final long sKb;
  private final long sKi;
  private final long sCb;
  private final long sCi;
  private final long sFy;
  private final long sFx;
  private final int wBits;
  private final int inBits;
  private final int inShift;

  private UnitFunctions(Map<String, Long> fields, SimMemories mem, String[] memoryNames, int[] lut, String where,
      ConvTile.Sums sums) {
    this.sums = sums;
    this.f = fields;
    this.mem = mem;
    this.memoryNames = memoryNames;
    this.lut = lut;
    this.where = where;
    chw = i("chw") == 1;
    kb = f.get("kb");
    cb = f.get("cb");
    sKb = f.get("s_kb");
    sKi = f.get("s_ki");
    sCb = f.get("s_cb");
    sCi = f.get("s_ci");
    sFy = f.get("s_fy");
    sFx = f.get("s_fx");
    wBits = i("w_bits");
    inBits = i("in_bits");
    inShift = i("in_shift");
  }

  /** Runs one job: reads its buffers from {@code mem} and writes its output tile there. */
  public static void run(Map<String, Long> fields, SimMemories mem, String[] memoryNames, int[] lut, String where) {
    run(fields, mem, memoryNames, lut, where, ConvTile.DIRECT);
  }

  /**
   * Runs one job with the conv sums computed by {@code sums} (a unit's own data flow); decoding,
   * the output stage and the fused stages stay this class's.
   */
  public static void run(Map<String, Long> fields, SimMemories mem, String[] memoryNames, int[] lut, String where,
      ConvTile.Sums sums) {
    new UnitFunctions(fields, mem, memoryNames, lut, where, sums).run();
  }

  private int i(String name) {
    Long v = f.get(name);
    if (v == null) {
      throw new IllegalStateException("job field " + name + " missing");
    }
    return (int) (long) v;
  }

  private void run() {
    switch (i("kind")) {
      case 1, 2 -> conv();
      case 3, 4 -> pool();
      case 5 -> add();
      case 6 -> lut();
      case 7 -> matmul();
      default -> throw new SimulationException(where + ": unknown job kind " + i("kind"));
    }
  }

  /** A buffer of the job: {@code bytes} bytes at field {@code addr} of memory field {@code memField}. */
  private Buf buf(String memField, String addr, long bytes, String what) {
    String m = memoryNames[i(memField)];
    long at = f.get(addr);
    return new Buf(mem.checked(m, at, bytes, where + ": " + what), (int) at);
  }

  private record Buf(byte[] m, int base) {
    int s8(long o) {
      return m[(int) (base + o)];
    }

    int i32(long o) {
      int p = (int) (base + o);
      return (m[p] & 0xff) | (m[p + 1] & 0xff) << 8 | (m[p + 2] & 0xff) << 16 | (m[p + 3] & 0xff) << 24;
    }

    void put8(long o, int v) {
      m[(int) (base + o)] = (byte) v;
    }

    void put32(long o, int v) {
      int p = (int) (base + o);
      m[p] = (byte) v;
      m[p + 1] = (byte) (v >> 8);
      m[p + 2] = (byte) (v >> 16);
      m[p + 3] = (byte) (v >> 24);
    }
  }

  private long idx(int rows, int cols, int chans, int r, int c, int ch) {
    return chw ? ((long) ch * rows + r) * cols + c : ((long) r * cols + c) * chans + ch;
  }

  /** (r, c, ch) of storage position o: increasing positions walk the tile in its layout. */
  private int[] at(long o, int rows, int cols, int chans) {
    if (chw) {
      return new int[] {(int) (o / cols % rows), (int) (o % cols), (int) (o / ((long) rows * cols))};
    }
    return new int[] {(int) (o / ((long) cols * chans)), (int) (o / chans % cols), (int) (o % chans)};
  }

  private int narrow(int x) {
    int lo = -(1 << (inBits - 1));
    int hi = (1 << (inBits - 1)) - 1;
    x >>= inShift;
    return Math.max(lo, Math.min(hi, x));
  }

  private static long shift(long v, int s, int stage) {
    if (s <= 0) {
      return v * (1L << -s);
    }
    if (stage == 3) {
      v += 1L << (s - 1);
    }
    return v >> s;
  }

  private int stage(Buf params, int k, long acc) {
    long rec = (long) k * i("p_bytes") + (i("has_bias") == 1 ? 4 : 0);
    long v;
    if (i("stage") == 1) {
      v = (long) FixedPoint.multiplyByQuantizedMultiplier((int) acc, params.i32(rec), params.s8(rec + 4)) + i("out_zp");
    } else {
      v = shift(acc, params.s8(rec), i("stage")) + i("out_zp");
    }
    return (int) Math.max(i("act_min"), Math.min(i("act_max"), v));
  }

  /**
   * An N:M weight tile ({@code nm_*} fields) as dense (k, reduction) weights, reduction = fy·fx·c
   * with c innermost: each stored value (entries in blocks of {@code nm_kb} channels, a reduction
   * step's values together) scattered to its group's position plus its offset.
   */
  private byte[] nmTile(Buf w, int kt, int reduction) {
    int n = i("nm_n");
    int m = i("nm_m");
    int bits = i("nm_obits");
    int vals = i("nm_vals");
    int kb = i("nm_kb");
    byte[] out = new byte[kt * reduction];
    long offsetsAt = 8L * kt * vals;
    for (int k = 0; k < kt; k++) {
      int width = Math.min(kb, kt - k / kb * kb);
      for (int v = 0; v < vals; v++) {
        long e = (long) (k / kb) * kb * vals + (long) v * width + k % kb;
        int value = w.s8(e);
        long bit = offsetsAt + e * bits;
        int off = 0;
        for (int b = 0; b < bits; b++, bit++) {
          off |= ((w.s8(bit >>> 3) & 0xff) >> (bit & 7) & 1) << b;
        }
        int r = v / n * m + off;
        if (value == 0) {
          continue;
        }
        if (r >= reduction) {
          throw new SimulationException(where + ": N:M value " + v + " of channel " + k + " lies at " + r
              + ", past the tile's " + reduction + " weights");
        }
        out[k * reduction + r] = (byte) value;
      }
    }
    return out;
  }

  private void conv() {
    boolean depthwise = i("kind") == 2;
    int kt = i("k");
    int ct = i("c");
    int rows = i("rows");
    int cols = i("cols");
    int oy = i("oy");
    int ox = i("ox");
    int inC = depthwise ? kt : ct;
    boolean first = i("first") == 1;
    boolean last = i("last") == 1;
    Buf in = buf("in_mem", "in", (long) rows * cols * inC, "the input tile");
    // A DLA instruction's registers carry no nm_* fields: its weights are dense.
    int nmN = (int) (long) f.getOrDefault("nm_n", 0L);
    long nmValues = nmN > 0 ? (long) kt * i("nm_vals") : 0;
    Buf w = buf("w_mem", "w", nmN > 0 ? nmValues + (nmValues * i("nm_obits") + 7) / 8 : 0, "the weight tile");
    int pBytes = i("p_bytes");
    boolean hasBias = i("has_bias") == 1;
    Buf p = buf("p_mem", "p", (long) kt * pBytes, "the parameters");
    long outs = (long) oy * ox * kt;
    Buf out = buf("out_mem", "out", outs * (first && last ? 1 : 4), "the output tile");
    int fy = i("fy");
    int fx = i("fx");
    boolean fold = i("fold") == 1;
    int inZp = i("in_zp");
    // Bit offsets of each output channel, input channel and tap in the weight buffer: the
    // descriptor's strides, added up once per job instead of per MAC.
    long[] kOff = new long[kt];
    for (int k = 0; k < kt; k++) {
      kOff[k] = (k / kb) * sKb + (k % kb) * sKi;
    }
    int wc = depthwise ? 1 : ct;
    long[] cOff = new long[wc];
    for (int c = 0; c < wc; c++) {
      cOff[c] = (c / cb) * sCb + (c % cb) * sCi;
    }
    // Inputs narrowed as the array takes them, once per element (at most 8 bits: Requant.Shift).
    byte[] x = new byte[rows * cols * inC];
    for (int e = 0; e < x.length; e++) {
      x[e] = (byte) narrow(in.s8(e));
    }
    // The tile's weights decoded once from the buffer, (k, fy, fx, c) with c innermost.
    boolean sparse = nmN > 0 && !depthwise;
    byte[] wt = sparse ? nmTile(w, kt, fy * fx * wc) : new byte[kt * fy * fx * wc];
    for (int k = 0; k < (sparse ? 0 : kt); k++) {
      for (int ty = 0; ty < fy; ty++) {
        for (int tx = 0; tx < fx; tx++) {
          long tap = kOff[k] + ty * sFy + tx * sFx;
          int at = ((k * fy + ty) * fx + tx) * wc;
          for (int c = 0; c < wc; c++) {
            wt[at + c] = (byte) weightAt(w.m(), w.base(), tap + cOff[c]);
          }
        }
      }
    }
    ConvTile tile = new ConvTile(depthwise, chw, rows, cols, inC, x, fold ? 0 : inZp, inZp, kt, ct, fy, fx,
        i("sy"), i("sx"), i("dy"), i("dx"), i("y0"), i("x0"), oy, ox, wt);
    long[] sums = this.sums.of(tile);
    for (long o = 0; o < outs; o++) {
      int k = chw ? (int) (o / ((long) oy * ox)) : (int) (o % kt);
      long acc = first ? (hasBias ? p.i32((long) k * pBytes) : 0) : out.i32(4 * o);
      acc += sums[(int) o];
      if (last) {
        out.put8(o, stage(p, k, acc));
      } else {
        out.put32(4 * o, (int) acc);
      }
    }
    if (last) {
      fused(out);
    }
  }

  /**
   * One batch of a matmul (kiln_hal.h KILN_JOB_MATMUL): a 1x1 conv tile whose weights, the right
   * operand's k x c tile, have zero point {@code w_zp}; no bias, and the last C tile requantizes
   * with the tensor's one multiplier and shift ({@code mm_mult}, {@code mm_shift}).
   */
  private void matmul() {
    int kt = i("k");
    int ct = i("c");
    int rows = i("rows");
    int cols = i("cols");
    int oy = i("oy");
    int ox = i("ox");
    boolean first = i("first") == 1;
    boolean last = i("last") == 1;
    Buf in = buf("in_mem", "in", (long) rows * cols * ct, "the input tile");
    Buf w = buf("w_mem", "w", (long) kt * ct, "the weight tile");
    long outs = (long) oy * ox * kt;
    Buf out = buf("out_mem", "out", outs * (first && last ? 1 : 4), "the output tile");
    byte[] x = new byte[rows * cols * ct];
    for (int e = 0; e < x.length; e++) {
      x[e] = (byte) in.s8(e);
    }
    byte[] wt = new byte[kt * ct];
    for (int k = 0; k < kt; k++) {
      long row = (k / kb) * sKb + (k % kb) * sKi;
      for (int c = 0; c < ct; c++) {
        wt[k * ct + c] = (byte) weightAt(w.m(), w.base(), row + (c / cb) * sCb + (c % cb) * sCi);
      }
    }
    int inZp = i("in_zp");
    ConvTile tile = new ConvTile(false, chw, rows, cols, ct, x, inZp, inZp, kt, ct, 1, 1, i("sy"), i("sx"), 1, 1,
        i("y0"), i("x0"), oy, ox, wt, i("w_zp"));
    long[] sums = this.sums.of(tile);
    for (long o = 0; o < outs; o++) {
      long acc = (first ? 0 : out.i32(4 * o)) + sums[(int) o];
      if (last) {
        long v = (long) FixedPoint.multiplyByQuantizedMultiplier((int) acc, i("mm_mult"), i("mm_shift")) + i("out_zp");
        out.put8(o, clamp(v, i("act_min"), i("act_max")));
      } else {
        out.put32(4 * o, (int) acc);
      }
    }
  }

  /** The weight at bit {@code bit} of the buffer: {@code wBits} wide, two's complement. */
  private int weightAt(byte[] m, int base, long bit) {
    if (wBits == 8) {
      return m[base + (int) (bit >>> 3)];
    }
    int code = ((m[base + (int) (bit >>> 3)] & 0xff) >>> (bit & 7)) & ((1 << wBits) - 1);
    return code << (32 - wBits) >> (32 - wBits);
  }

  private long tfliteAdd(int a, int b) {
    int ls = i("add_left_shift");
    int x = FixedPoint.multiplyByQuantizedMultiplier((a + i("add_in_offset")) * (1 << ls), i("add_in_mult"),
        i("add_in_shift"));
    int y = FixedPoint.multiplyByQuantizedMultiplier((b + i("add_opd_offset")) * (1 << ls), i("add_opd_mult"),
        i("add_opd_shift"));
    return FixedPoint.multiplyByQuantizedMultiplier(x + y, i("add_out_mult"), i("add_out_shift"));
  }

  private static int clamp(long v, int lo, int hi) {
    return (int) Math.max(lo, Math.min(hi, v));
  }

  private void fused(Buf out) {
    int oy = i("oy");
    int ox = i("ox");
    int kt = i("k");
    long n = (long) oy * ox * kt;
    if (i("fuse_add") != 0) {
      Buf skip = buf("opd_mem", "opd", n, "the operand tile");
      for (long o = 0; o < n; o++) {
        boolean convLhs = i("conv_is_lhs") == 1;
        int a = convLhs ? out.s8(o) : skip.s8(o);
        int b = convLhs ? skip.s8(o) : out.s8(o);
        long v;
        if (i("fuse_add") == 1) {
          v = tfliteAdd(a, b) + i("sadd_out_zp");
        } else {
          int ls = i("sadd_lhs_shift");
          int rs = i("sadd_rhs_shift");
          int s = Math.max(ls, rs);
          v = (long) (a - i("sadd_lhs_zp")) * (1L << (s - ls)) + (long) (b - i("sadd_rhs_zp")) * (1L << (s - rs));
          v = shift(v, s, i("sadd_stage")) + i("sadd_out_zp");
        }
        out.put8(o, clamp(v, i("sadd_min"), i("sadd_max")));
      }
    }
    if (i("pool_kind") != 0) {
      int pyN = i("pool_y");
      int pxN = i("pool_x");
      int py = oy / pyN;
      int px = ox / pxN;
      for (long p = 0; p < (long) py * px * kt; p++) {
        int[] a = at(p, py, px, kt);
        long sum = 0;
        int max = -128;
        for (int dy = 0; dy < pyN; dy++) {
          for (int dx = 0; dx < pxN; dx++) {
            int v = out.s8(idx(oy, ox, kt, a[0] * pyN + dy, a[1] * pxN + dx, a[2]));
            sum += v - i("pool_in_zp");
            max = Math.max(max, v);
          }
        }
        long v = max;
        if (i("pool_kind") == 2) {
          int count = pyN * pxN;
          if (i("pool_shift") < 0) {
            sum += (long) i("pool_in_zp") * count;
            v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
          } else {
            v = shift(sum, i("pool_shift"), i("pool_stage")) + i("pool_out_zp");
          }
        }
        out.put8(p, clamp(v, i("pool_min"), i("pool_max")));
      }
    }
  }

  private void pool() {
    int kt = i("k");
    int rows = i("rows");
    int cols = i("cols");
    int oy = i("oy");
    int ox = i("ox");
    Buf in = buf("in_mem", "in", (long) rows * cols * kt, "the input tile");
    Buf out = buf("out_mem", "out", (long) oy * ox * kt, "the output tile");
    for (int y = 0; y < oy; y++) {
      for (int x = 0; x < ox; x++) {
        for (int k = 0; k < kt; k++) {
          int sum = 0;
          int max = -128;
          int count = 0;
          for (int ty = 0; ty < i("fy"); ty++) {
            int iy = y * i("sy") + ty + i("y0");
            for (int tx = 0; tx < i("fx"); tx++) {
              int ix = x * i("sx") + tx + i("x0");
              if (iy < 0 || iy >= rows || ix < 0 || ix >= cols) {
                continue;
              }
              int v = in.s8(idx(rows, cols, kt, iy, ix, k));
              sum += v;
              max = Math.max(max, v);
              count++;
            }
          }
          int v = max;
          if (i("kind") == 4) {
            v = count == 0 ? 0 : sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
          }
          out.put8(idx(oy, ox, kt, y, x, k), clamp(v, i("act_min"), i("act_max")));
        }
      }
    }
  }

  private void add() {
    long n = (long) i("oy") * i("ox") * i("k");
    Buf a = buf("in_mem", "in", n, "the input tile");
    Buf b = buf("opd_mem", "opd", n, "the operand tile");
    Buf out = buf("out_mem", "out", n, "the output tile");
    for (long o = 0; o < n; o++) {
      out.put8(o, clamp(tfliteAdd(a.s8(o), b.s8(o)) + i("out_zp"), i("act_min"), i("act_max")));
    }
  }

  private void lut() {
    long n = (long) i("oy") * i("ox") * i("k");
    Buf in = buf("in_mem", "in", n, "the input tile");
    Buf out = buf("out_mem", "out", n, "the output tile");
    for (long o = 0; o < n; o++) {
      out.put8(o, lut[in.s8(o) + 128]);
    }
  }
}
