package io.kiln.sim.dla;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.isa.dla.Assembly;
import io.kiln.isa.dla.Encoding;
import io.kiln.isa.dla.Instruction;
import io.kiln.isa.dla.Opcode;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.LeakyReluRequant;
import io.kiln.sim.SimMemories;
import io.kiln.testing.PlanGraphs;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A functional test of every DLA instruction against the interpreter. The instructions the back
 * end generates run from single-layer plans through the ISS (their outputs must equal the
 * interpreter's on the lowered graph, and the opcode must have run); the standalone vector
 * instructions run hand-written streams on a machine over one SRAM and are compared with the
 * interpreter's kernel of the same operator (or, for the int32 ones, its plain definition).
 */
class InstructionFunctionalTest {
  static final String TARGET = "dla:pe=64,sram=1MiB,par=output,dw=native";

  static DlaStats runLayer(Function<PlanGraphs, Integer> layer, String target) {
    PlanGraphs p = new PlanGraphs(21);
    Graph g = p.build(layer.apply(p));
    DlaIssTest.Run r = DlaIssTest.simulate(g, target);
    assertThat(r.sim().check().orElseThrow().firstMismatch()).isEmpty();
    assertThat(r.sim().check().orElseThrow().matched()).isTrue();
    return r.stats();
  }

  @Test
  void convAndConvReluAndTheDmaInstructions() {
    DlaStats plain = runLayer(p -> p.conv(p.input(12, 12, 16, 0.5), 32, 3, 1, 1, 0.01, 0.5, Op.Activation.NONE),
        TARGET);
    assertThat(plain.opcodes()).containsKeys(Opcode.OP_CONV, Opcode.OP_DMA_READ,
        Opcode.OP_DMA_WRITE, Opcode.SYNC);
    DlaStats relu = runLayer(p -> p.conv(p.input(12, 12, 16, 0.5), 32, 3, 1, 1, 0.01, 0.5, Op.Activation.RELU),
        TARGET);
    assertThat(relu.opcodes()).containsKey(Opcode.OP_CONV_RELU);
    DlaStats fc = runLayer(p -> p.fc(p.input(Shape.of(1, 200), 0.5), 40, 0.01, 0.5, Op.Activation.NONE), TARGET);
    assertThat(fc.opcodes()).containsKey(Opcode.OP_CONV);
  }

  @Test
  void depthwiseNativeAndEmulated() {
    Function<PlanGraphs, Integer> dw = p -> p.depthwise(p.input(10, 10, 24, 0.5), 3, 1, 1, 0.02, 0.5,
        Op.Activation.RELU);
    assertThat(runLayer(dw, TARGET).opcodes()).containsKey(Opcode.OP_DEPTH_CONV);
    DlaStats emulated = runLayer(dw, "dla:pe=64,sram=1MiB,par=output,dw=emulated");
    assertThat(emulated.opcodes()).doesNotContainKey(Opcode.OP_DEPTH_CONV);
    assertThat(emulated.opcodes().get(Opcode.OP_CONV).count()).isGreaterThanOrEqualTo(24);
  }

  @Test
  void poolAddAndLookupTable() {
    assertThat(runLayer(p -> p.pool(p.input(16, 16, 8, 0.5), true, 2, 2, Op.Pads.NONE), TARGET).opcodes())
        .containsKey(Opcode.OP_POOL);
    assertThat(runLayer(p -> p.pool(p.input(16, 16, 8, 0.5), false, 2, 2, Op.Pads.NONE), TARGET).opcodes())
        .containsKey(Opcode.OP_POOL);
    assertThat(runLayer(p -> p.add(p.input(8, 8, 16, 0.5), p.input(8, 8, 16, 0.25), 0.5, Op.Activation.NONE),
        TARGET).opcodes()).containsKey(Opcode.OP_E_ADD);
    assertThat(runLayer(p -> p.unary(new Op.Relu(), p.input(8, 8, 16, 0.1), 0.05), TARGET).opcodes())
        .containsKeys(Opcode.OP_LUT, Opcode.LUT_LOAD);
  }

  // ------------------------------------------------------------ standalone vector instructions

  static final int N = 256;
  static final int IN = 0;
  static final int OPD = 4096;
  static final int OUT = 8192;

  /** Runs assembly {@code asm} (after its binary round trip) on a machine over one 16 KiB SRAM. */
  static byte[] machine(String asm, byte[] in, byte[] opd, int outBytes) {
    byte[] sram = new byte[16384];
    System.arraycopy(in, 0, sram, IN, in.length);
    System.arraycopy(opd, 0, sram, OPD, opd.length);
    DlaMachine m = new DlaMachine(SimMemories.over(Map.of("sram", sram)), new String[] {"sram"});
    String setup = "set_reg in " + IN + "\nset_reg opd " + OPD + "\nset_reg out " + OUT + "\n";
    for (Instruction i : Encoding.decode(Encoding.encode(Assembly.assemble(setup + asm)), null)) {
      m.execute(i, "", "test");
    }
    return java.util.Arrays.copyOfRange(sram, OUT, OUT + outBytes);
  }

  static byte[] int8s(Random r) {
    byte[] b = new byte[N];
    r.nextBytes(b);
    b[0] = -128;
    b[1] = 127;
    b[2] = 0;
    return b;
  }

  static byte[] interp(Op op, Quantization inQ, Quantization outQ, byte[]... ins) {
    GraphBuilder b = new GraphBuilder("one");
    List<Integer> ids = new java.util.ArrayList<>();
    for (int i = 0; i < ins.length; i++) {
      ids.add(b.input("x" + i, new TensorType(DType.INT8, Shape.of(N), inQ)));
    }
    b.output(b.apply(op, ids, "y", DType.INT8, outQ));
    List<Tensor> ts = new java.util.ArrayList<>();
    for (byte[] in : ins) {
      ts.add(Tensor.fromBytes(DType.INT8, Shape.of(N), in));
    }
    return new Interpreter(b.build()).run(ts).get(0).toBytes();
  }

  static final String SHAPE = "set_reg oy 1\nset_reg ox 1\nset_reg k " + N + "\nset_reg act_min -128\n"
      + "set_reg act_max 127\n";

  @Test
  void reluMatchesTheInterpreter() {
    byte[] x = int8s(new Random(1));
    Quantization q = new Quantization.PerTensor(0.5f, -3);
    assertThat(machine(SHAPE + "set_reg out_zp -3\nop_act_relu", x, new byte[0], N))
        .isEqualTo(interp(new Op.Relu(), q, q, x));
  }

  @Test
  void leakyReluMatchesTheInterpreter() {
    for (float alpha : new float[] {0.1f, 0.3f, -0.2f}) {
      byte[] x = int8s(new Random(2));
      Quantization qi = new Quantization.PerTensor(0.05f, 4);
      Quantization qo = new Quantization.PerTensor(0.04f, -2);
      LeakyReluRequant p = LeakyReluRequant.of(0.05f, 4, 0.04f, -2, alpha, -128, 127);
      String asm = SHAPE + "set_reg in_zp 4\nset_reg out_zp -2\nset_reg mult " + p.identity().multiplier()
          + "\nset_reg shift " + p.identity().shift() + "\nset_reg mult2 " + p.alpha().multiplier()
          + "\nset_reg shift2 " + p.alpha().shift() + "\nop_act_lrelu";
      assertThat(machine(asm, x, new byte[0], N)).isEqualTo(interp(new Op.LeakyRelu(alpha), qi, qo, x));
    }
  }

  /**
   * The interpreter's plain-integer kernel of {@code op} on int32 tensors holding the int8 values
   * (it takes no unquantized int8 activations), saturated back to int8 as the DLA writes it.
   */
  static byte[] plainInterp(Op op, byte[]... ins) {
    GraphBuilder b = new GraphBuilder("one");
    List<Integer> ids = new java.util.ArrayList<>();
    List<Tensor> ts = new java.util.ArrayList<>();
    for (int i = 0; i < ins.length; i++) {
      ids.add(b.input("x" + i, new TensorType(DType.INT32, Shape.of(N), new Quantization.None())));
      int[] v = new int[N];
      for (int e = 0; e < N; e++) {
        v[e] = ins[i][e];
      }
      ts.add(Tensor.ofInts(DType.INT32, Shape.of(N), v));
    }
    b.output(b.apply(op, ids, "y", DType.INT32, new Quantization.None()));
    int[] y = new Interpreter(b.build()).run(ts).get(0).ints;
    byte[] out = new byte[N];
    for (int e = 0; e < N; e++) {
      out[e] = (byte) Math.max(-128, Math.min(127, y[e]));
    }
    return out;
  }

  @Test
  void absMinMaxMatchTheInterpreter() {
    Random r = new Random(3);
    byte[] a = int8s(r);
    byte[] b = int8s(r);
    assertThat(machine(SHAPE + "op_e_abs", a, b, N)).isEqualTo(plainInterp(new Op.Abs(), a));
    assertThat(machine(SHAPE + "op_e_abs", a, b, N)[0]).isEqualTo((byte) 127);
    assertThat(machine(SHAPE + "op_c_min", a, b, N)).isEqualTo(plainInterp(new Op.Minimum(), a, b));
    assertThat(machine(SHAPE + "op_c_max", a, b, N)).isEqualTo(plainInterp(new Op.Maximum(), a, b));
  }

  static int i32(byte[] b, int i) {
    return java.nio.ByteBuffer.wrap(b, 4 * i, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
  }

  static byte[] words(int[] v) {
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int x : v) {
      bb.putInt(x);
    }
    return bb.array();
  }

  @Test
  void int32AddWrapsAndRequantizeRoundsAsFixedPoint() {
    Random r = new Random(4);
    int n = 64;
    int[] a = new int[n];
    int[] b = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextInt();
      b[i] = r.nextInt();
    }
    a[0] = Integer.MAX_VALUE;
    b[0] = 1;
    String shape = "set_reg oy 1\nset_reg ox 1\nset_reg k " + n + "\nset_reg act_min -128\nset_reg act_max 127\n";
    byte[] sum = machine(shape + "op_e32_add", words(a), words(b), 4 * n);
    // The interpreter's plain int32 Add on the same tensors.
    GraphBuilder g = new GraphBuilder("add32");
    int x = g.input("a", new TensorType(DType.INT32, Shape.of(n), new Quantization.None()));
    int y = g.input("b", new TensorType(DType.INT32, Shape.of(n), new Quantization.None()));
    g.output(g.apply(new Op.Add(Op.Activation.NONE), List.of(x, y), "s", DType.INT32, new Quantization.None()));
    int[] added = new Interpreter(g.build()).run(List.of(Tensor.ofInts(DType.INT32, Shape.of(n), a),
        Tensor.ofInts(DType.INT32, Shape.of(n), b))).get(0).ints;
    for (int i = 0; i < n; i++) {
      assertThat(i32(sum, i)).isEqualTo(added[i]);
    }
    int mult = 1518500250;
    int shift = -20;
    byte[] q = machine(shape + "set_reg mult " + mult + "\nset_reg shift " + shift + "\nset_reg out_zp 5\n"
        + "op_requant32", words(a), new byte[0], n);
    for (int i = 0; i < n; i++) {
      long want = Math.max(-128, Math.min(127, (long) FixedPoint.multiplyByQuantizedMultiplier(a[i], mult, shift) + 5));
      assertThat((int) q[i]).isEqualTo((int) want);
    }
  }

  @Test
  void matMulIsTheInt8ProductWithTheInputZeroPoint() {
    Random r = new Random(5);
    int m = 3;
    int kd = 40;
    int nd = 7;
    byte[] a = new byte[m * kd];
    byte[] w = new byte[kd * nd];
    r.nextBytes(a);
    r.nextBytes(w);
    String asm = "set_reg w " + OPD + "\nset_reg oy " + m + "\nset_reg c " + kd + "\nset_reg k " + nd
        + "\nset_reg in_zp -7\nop_mat_mul";
    byte[] out = machine(asm, a, w, 4 * m * nd);
    // The interpreter's integer MatMul (int8 x int8 -> int32, the lhs zero point -7).
    GraphBuilder g = new GraphBuilder("matmul");
    int x = g.input("a", TensorType.quantized(DType.INT8, Shape.of(m, kd), 1.0, -7));
    int y = g.input("w", TensorType.quantized(DType.INT8, Shape.of(kd, nd), 1.0, 0));
    g.output(g.apply(new Op.MatMul(), List.of(x, y), "p", DType.INT32, new Quantization.None()));
    int[] av = new int[a.length];
    int[] wv = new int[w.length];
    for (int i = 0; i < a.length; i++) {
      av[i] = a[i];
    }
    for (int i = 0; i < w.length; i++) {
      wv[i] = w[i];
    }
    int[] want = new Interpreter(g.build()).run(List.of(Tensor.ofInts(DType.INT8, Shape.of(m, kd), av),
        Tensor.ofInts(DType.INT8, Shape.of(kd, nd), wv))).get(0).ints;
    for (int i = 0; i < m * nd; i++) {
      assertThat(i32(out, i)).isEqualTo(want[i]);
    }
  }
}
