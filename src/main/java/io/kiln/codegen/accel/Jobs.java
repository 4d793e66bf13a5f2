package io.kiln.codegen.accel;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Value;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.weights.Arrangement;
import io.kiln.plan.weights.BlobLayout;
import io.kiln.plan.weights.BlobSlice;
import io.kiln.ir.Requant;
import io.kiln.quant.ShiftStage;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.AddRequant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * The {@code kiln_job} descriptor (kiln_hal.h) of every tile of an accelerator call: what the unit
 * computes (kind and output stage, from the lowered graph's node), where its buffers are, the
 * tile's geometry, and how its weights are addressed in the weight buffer. Fields are named as in
 * the C struct, in its order.
 */
public final class Jobs {
  private Jobs() {}

  /** C job kinds. */
  static final int CONV = 1;
  static final int DEPTHWISE = 2;
  static final int MAX_POOL = 3;
  static final int AVG_POOL = 4;
  static final int ADD = 5;
  static final int LUT = 6;
  static final int MATMUL = 7;

  /** Output stages. */
  static final int FIXED_POINT = 1;
  static final int SHIFT_FLOOR = 2;
  static final int SHIFT_HALF_UP = 3;

  /** The value of field {@code lut} that stands for the call's lookup table. */
  public static final long LUT_TABLE = -1;

  /**
   * The lookup table of a standalone int8 activation: its outputs for the inputs -128..127, as the
   * interpreter computes them (an element-wise function of one int8 is exactly its table).
   */
  public static int[] table(Graph g, Node n) {
    io.kiln.ir.GraphBuilder b = new io.kiln.ir.GraphBuilder("lut");
    Value in = g.input(n, 0);
    Value out = g.output(n);
    if (in.dtype() != io.kiln.ir.DType.INT8 || out.dtype() != io.kiln.ir.DType.INT8) {
      throw new KilnException("a lookup table needs int8 in and out, " + n.op().opName() + " %" + n.output()
          + " has " + in.dtype().shortName() + " -> " + out.dtype().shortName());
    }
    int x = b.input("x", new io.kiln.ir.TensorType(in.dtype(), io.kiln.ir.Shape.of(256), in.quant()));
    int y = b.apply(n.op(), List.of(x), "y", out.dtype(), out.quant());
    b.output(y);
    int[] all = new int[256];
    for (int i = 0; i < 256; i++) {
      all[i] = i - 128;
    }
    io.kiln.interp.Tensor t = io.kiln.interp.Tensor.ofInts(in.dtype(), io.kiln.ir.Shape.of(256), all);
    return new io.kiln.interp.Interpreter(b.build()).run(List.of(t)).get(0).ints;
  }

  /** The fields of {@code job} of {@code call}; {@code memory} numbers the memories as the program does. */
  public static Map<String, Long> of(Graph g, Step.AcceleratorCall call, TileJob job, ToIntFunction<String> memory) {
    Node n = g.nodes().get(call.node());
    LayerShape l = call.geometry().shape();
    Value in = g.input(n, 0);
    Value out = g.output(n);
    String where = n.op().opName() + " %" + n.output();
    Map<String, Long> f = new LinkedHashMap<>();
    int kind = switch (n.op()) {
      case Op.Conv2D c -> CONV;
      case Op.FullyConnected c -> CONV;
      case Op.DepthwiseConv2D d -> DEPTHWISE;
      case Op.MaxPool2D p -> MAX_POOL;
      case Op.AveragePool2D p -> AVG_POOL;
      case Op.Add a -> ADD;
      case Op.Relu r -> LUT;
      case Op.Relu6 r -> LUT;
      case Op.Logistic r -> LUT;
      case Op.Tanh r -> LUT;
      case Op.BatchMatMul m -> MATMUL;
      default -> throw new KilnException("the " + call.unit().name() + " backend does not generate "
          + n.op().opName() + " yet (%" + n.output() + ")");
    };
    Requant requant = Op.requant(n.op()).orElse(Requant.TFLITE);
    Requant.Shift shift = requant instanceof Requant.Shift s ? s : null;
    if (shift != null && kind != CONV && kind != DEPTHWISE) {
      throw new KilnException("the " + call.unit().name() + " backend does not generate a shift-only "
          + n.op().opName() + " yet (%" + n.output() + ")");
    }
    f.put("kind", (long) kind);
    f.put("stage", (long) (shift == null ? FIXED_POINT
        : shift.rounding() == Requant.Rounding.FLOOR ? SHIFT_FLOOR : SHIFT_HALF_UP));
    f.put("first", job.firstC() ? 1L : 0L);
    f.put("last", job.lastC() ? 1L : 0L);
    f.put("in_mem", (long) memory.applyAsInt(job.input().memory()));
    f.put("w_mem", (long) job.weights().map(r -> memory.applyAsInt(r.memory())).orElse(0));
    f.put("p_mem", (long) job.params().map(r -> memory.applyAsInt(r.memory())).orElse(0));
    f.put("out_mem", (long) memory.applyAsInt(job.output().memory()));
    f.put("opd_mem", (long) job.operand().map(r -> memory.applyAsInt(r.memory())).orElse(0));
    f.put("in", job.input().offset());
    f.put("w", job.weights().map(r -> r.offset()).orElse(0L));
    f.put("p", job.params().map(r -> r.offset()).orElse(0L));
    f.put("out", job.output().offset());
    f.put("opd", job.operand().map(r -> r.offset()).orElse(0L));
    f.put("k", (long) job.k().length());
    f.put("c", (long) job.c().length());
    f.put("rows", (long) job.inRows().length());
    f.put("cols", (long) job.inCols().length());
    f.put("oy", (long) job.y().length());
    f.put("ox", (long) job.x().length());
    f.put("fy", (long) l.fy());
    f.put("fx", (long) l.fx());
    f.put("sy", (long) l.strideY());
    f.put("sx", (long) l.strideX());
    f.put("dy", (long) l.dilationY());
    f.put("dx", (long) l.dilationX());
    // Row (column) of the input window the first tap of output (0, 0) lands on.
    f.put("y0", (long) job.y().start() * l.strideY() - l.padTop() - job.inRows().start());
    f.put("x0", (long) job.x().start() * l.strideX() - l.padLeft() - job.inCols().start());
    int inShift = shift == null ? 0 : shift.inputShift();
    int inBits = shift == null ? 8 : shift.inputBits();
    f.put("in_shift", (long) inShift);
    f.put("in_bits", (long) inBits);
    // Padding reads the zero point narrowed like an activation.
    f.put("in_zp", (long) ShiftStage.narrow((int) zeroPoint(in), inShift, inBits));
    f.put("out_zp", zeroPoint(out));
    if (shift != null) {
      f.put("act_min", (long) shift.clampMin());
      f.put("act_max", (long) shift.clampMax());
    } else {
      ActivationRange range = ActivationRange.quantized(activation(n.op()), out.type(), where);
      f.put("act_min", (long) range.min());
      f.put("act_max", (long) range.max());
    }
    // Shift stages carry the zero point in the bias (io.kiln.quant.ShiftStage), TFLite's in the sum.
    f.put("fold", shift != null ? 1L : 0L);
    BlobLayout blob = call.blobLayout().orElse(null);
    f.put("has_bias", blob != null && blob.params().bias() ? 1L : 0L);
    f.put("p_bytes", blob == null ? 0L : (long) blob.params().bytes());
    weightAddressing(f, blob, job, l);
    addFields(f, n, g, where);
    FusedStages.fields(f, g, n, call.fused().stream().map(i -> g.nodes().get(i)).toList());
    f.put("chw", call.unit().layout() == io.kiln.target.Layout.CHW ? 1L : 0L);
    // The table pointer: LUT_TABLE stands for the call's table, 0 for none.
    f.put("lut", kind == LUT ? LUT_TABLE : 0L);
    matmulFields(f, g, n, kind == MATMUL, where);
    return f;
  }

  /**
   * The {@code mm_*} fields of a matmul job: the right operand's zero point (subtracted from every
   * weight, as from every input) and TFLite's one multiplier and shift of the tensor
   * (lhs scale × rhs scale / out scale); zeros for other jobs.
   */
  private static void matmulFields(Map<String, Long> f, Graph g, Node n, boolean matmul, String where) {
    if (!matmul) {
      f.put("w_zp", 0L);
      f.put("mm_mult", 0L);
      f.put("mm_shift", 0L);
      return;
    }
    io.kiln.quant.ConvRequant rq = io.kiln.quant.ConvRequant.fullyConnected(g.input(n, Op.BatchMatMul.LHS).type(),
        g.input(n, Op.BatchMatMul.RHS).type(), g.output(n).type(), 1, where);
    f.put("w_zp", zeroPoint(g.input(n, Op.BatchMatMul.RHS)));
    f.put("mm_mult", (long) rq.multipliers()[0]);
    f.put("mm_shift", (long) rq.shifts()[0]);
  }

  private static long zeroPoint(Value v) {
    return v.quant() instanceof Quantization.PerTensor p ? p.zeroPoint() : 0;
  }

  private static Op.Activation activation(Op op) {
    return switch (op) {
      case Op.Conv2D c -> c.act();
      case Op.DepthwiseConv2D d -> d.act();
      case Op.FullyConnected c -> c.act();
      case Op.MaxPool2D p -> p.act();
      case Op.AveragePool2D p -> p.act();
      case Op.Add a -> a.act();
      default -> Op.Activation.NONE;
    };
  }

  static void addFields(Map<String, Long> f, Node n, Graph g, String where) {
    if (n.op() instanceof Op.Add a) {
      addRequant(f, AddRequant.add(g.input(n, Op.Add.LHS).type(), g.input(n, Op.Add.RHS).type(),
          g.output(n).type(), a.act(), where));
    } else {
      addRequant(f, null);
    }
  }

  /** The {@code add_*} fields of TFLite's Add scheme (lhs as "in", rhs as "opd"); zeros without one. */
  static void addRequant(Map<String, Long> f, AddRequant p) {
    long[] v = p == null ? new long[9] : new long[] {p.leftShift(), p.input1Offset(), p.input1().multiplier(),
        p.input1().shift(), p.input2Offset(), p.input2().multiplier(), p.input2().shift(), p.output().multiplier(),
        p.output().shift()};
    String[] names = {"add_left_shift", "add_in_offset", "add_in_mult", "add_in_shift", "add_opd_offset",
        "add_opd_mult", "add_opd_shift", "add_out_mult", "add_out_shift"};
    for (int i = 0; i < names.length; i++) {
      f.put(names[i], v[i]);
    }
  }

  /**
   * Strides (in bits) of weight (k, c, fy, fx) of the tile in its weight buffer, which holds the
   * tile's slice of the blob with its runs packed end to end. They are read off the layout at
   * unit steps and then checked against every weight of the tile.
   */
  private static void weightAddressing(Map<String, Long> f, BlobLayout blob, TileJob job, LayerShape l) {
    long big = 1L << 30;
    boolean nm = blob != null && job.weights().isPresent() && blob.weights() instanceof io.kiln.plan.weights.NmTiles;
    if (blob == null || job.weights().isEmpty() || nm) {
      // N:M tiles are addressed by their nm_* fields, not by strides; their values are int8.
      for (String s : new String[] {"w_bits", "kb", "cb", "s_kb", "s_ki", "s_cb", "s_ci", "s_fy", "s_fx"}) {
        f.put(s, s.equals("kb") || s.equals("cb") ? big : s.equals("w_bits") && nm ? 8L : 0L);
      }
      nmFields(f, blob, job);
      return;
    }
    Arrangement a = blob.weights();
    int k0 = job.k().start();
    int c0 = l.depthwise() ? 0 : job.c().start();
    int kt = job.k().length();
    int ct = l.depthwise() ? 1 : job.c().length();
    BlobSlice s = blob.weightSlice(job.k(), job.c());
    Bit bit = (k, c, fy, fx) -> {
      long b = a.bitOffset(k0 + k, c0 + c, fy, fx);
      long rel = (b >>> 3) - s.offset();
      return ((rel / s.strideBytes()) * s.runBytes() + rel % s.strideBytes()) * 8 + (b & 7);
    };
    long kb = a instanceof Arrangement.ArrayBlocks ab ? ab.kBlock() : big;
    long cb = a instanceof Arrangement.ArrayBlocks ab && !l.depthwise() ? ab.cBlock() : big;
    long base = bit.at(0, 0, 0, 0);
    long sKi = kt > 1 ? bit.at(1, 0, 0, 0) - base : 0;
    long sKb = kb < kt ? bit.at((int) kb, 0, 0, 0) - base : 0;
    long sCi = ct > 1 ? bit.at(0, 1, 0, 0) - base : 0;
    long sCb = cb < ct ? bit.at(0, (int) cb, 0, 0) - base : 0;
    long sFy = l.fy() > 1 ? bit.at(0, 0, 1, 0) - base : 0;
    long sFx = l.fx() > 1 ? bit.at(0, 0, 0, 1) - base : 0;
    for (int k = 0; k < kt; k++) {
      for (int c = 0; c < ct; c++) {
        for (int y = 0; y < l.fy(); y++) {
          for (int x = 0; x < l.fx(); x++) {
            long want = bit.at(k, c, y, x);
            long got = base + (k / kb) * sKb + (k % kb) * sKi + (c / cb) * sCb + (c % cb) * sCi + y * sFy + x * sFx;
            if (want != got) {
              throw new IllegalStateException(blob.describe() + ": weight (" + k + "," + c + "," + y + "," + x
                  + ") of tile " + job.tile() + " at bit " + want + ", strides give " + got);
            }
          }
        }
      }
    }
    if (base != 0) {
      throw new IllegalStateException("tile " + job.tile() + "'s first weight at bit " + base);
    }
    f.put("w_bits", (long) a.bits());
    f.put("kb", kb);
    f.put("cb", cb);
    f.put("s_kb", sKb);
    f.put("s_ki", sKi);
    f.put("s_cb", sCb);
    f.put("s_ci", sCi);
    f.put("s_fy", sFy);
    f.put("s_fx", sFx);
    nmFields(f, blob, job);
  }

  /** The {@code nm_*} fields: the tile's N:M format and values per channel; zeros for dense weights. */
  private static void nmFields(Map<String, Long> f, BlobLayout blob, TileJob job) {
    if (blob != null && job.weights().isPresent() && blob.weights() instanceof io.kiln.plan.weights.NmTiles nm) {
      f.put("nm_n", (long) nm.format().n());
      f.put("nm_m", (long) nm.format().m());
      f.put("nm_obits", (long) nm.offsetBits());
      f.put("nm_vals", (long) nm.valuesPerChannel(job.c().length()));
      f.put("nm_kb", (long) nm.kBlock());
      return;
    }
    for (String s : new String[] {"nm_n", "nm_m", "nm_obits", "nm_vals", "nm_kb"}) {
      f.put(s, 0L);
    }
  }

  private interface Bit {
    long at(int k, int c, int fy, int fx);
  }
}
