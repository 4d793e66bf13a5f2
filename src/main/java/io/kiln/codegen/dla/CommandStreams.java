package io.kiln.codegen.dla;

import io.kiln.KilnException;
import io.kiln.codegen.accel.Jobs;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.isa.dla.Instruction;
import io.kiln.isa.dla.Opcode;
import io.kiln.isa.dla.Register;
import io.kiln.plan.deploy.Action;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.target.Accelerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * The DLA back end: the command stream of one accelerator call of a deployment plan, in the
 * program's order — register writes and {@code op_dma_read}/{@code op_dma_write} for each DMA
 * start, {@code sync} for each wait, register writes and one compute instruction per job. The
 * register file is cleared when a stream is submitted and keeps its values across the stream's
 * instructions, so a register is written only when its value changes. Depthwise layers follow the
 * unit's {@link Accelerator.DepthwiseSupport}: native ones run {@code op_depth_conv}; emulated ones
 * run {@code op_conv} once per channel, on a one-channel view of the tile (the {@code in_pitch} and
 * {@code out_pitch} registers give the stored tiles' channel count).
 */
public final class CommandStreams {
  private final List<Instruction> out = new ArrayList<>();
  private final int[] regs = new int[Register.COUNT];

  private CommandStreams() {}

  /** The stream of {@code call}; {@code memory} numbers the memories as the HAL's memory table. */
  public static List<Instruction> of(Graph g, Step.AcceleratorCall call, ToIntFunction<String> memory) {
    CommandStreams s = new CommandStreams();
    s.call(g, call, memory);
    return List.copyOf(s.out);
  }

  private void set(Register r, long v) {
    if (v < Integer.MIN_VALUE || v > 0xffffffffL) {
      throw new KilnException("register " + r.field() + " cannot hold " + v);
    }
    int w = (int) v;
    if (regs[r.ordinal()] != w) {
      regs[r.ordinal()] = w;
      out.add(new Instruction.SetReg(r, w));
    }
  }

  private void call(Graph g, Step.AcceleratorCall call, ToIntFunction<String> memory) {
    Node n = g.nodes().get(call.node());
    Accelerator unit = call.unit();
    if (n.op() instanceof Op.Relu || n.op() instanceof Op.Relu6 || n.op() instanceof Op.Logistic
        || n.op() instanceof Op.Tanh) {
      int[] t = Jobs.table(g, n);
      byte[] b = new byte[256];
      for (int i = 0; i < 256; i++) {
        b[i] = (byte) t[i];
      }
      out.add(new Instruction.LutLoad(b));
    }
    for (Action a : call.program()) {
      switch (a) {
        case Action.Start st -> dma(st.dma(), unit, memory);
        case Action.Wait w -> w.ids().forEach(id -> out.add(new Instruction.Dma(Opcode.SYNC, id, 0)));
        case Action.Run r -> job(n, call, call.jobs().get(r.tile()), Jobs.of(g, call, call.jobs().get(r.tile()),
            memory));
      }
    }
  }

  private void dma(DmaDescriptor d, Accelerator unit, ToIntFunction<String> memory) {
    boolean read = d.dst().equals(unit.l1()) || unit.weightMemory().map(m -> m.name().equals(d.dst())).orElse(false);
    set(Register.TILE, d.tile());
    set(Register.DMA_SRC_MEM, memory.applyAsInt(d.src()));
    set(Register.DMA_DST_MEM, memory.applyAsInt(d.dst()));
    set(Register.DMA_SRC, d.srcAddr());
    set(Register.DMA_DST, d.dstAddr());
    set(Register.DMA_RUN, d.run());
    set(Register.DMA_ROWS, d.rows());
    set(Register.DMA_PLANES, d.planes());
    set(Register.DMA_SRC_ROW, d.srcRowStride());
    set(Register.DMA_SRC_PLANE, d.srcPlaneStride());
    set(Register.DMA_DST_ROW, d.dstRowStride());
    set(Register.DMA_DST_PLANE, d.dstPlaneStride());
    out.add(new Instruction.Dma(read ? Opcode.OP_DMA_READ : Opcode.OP_DMA_WRITE, d.id(), d.kind().ordinal()));
  }

  private void job(Node n, Step.AcceleratorCall call, TileJob job, Map<String, Long> f) {
    set(Register.TILE, job.tile());
    int flags = (job.firstC() ? Opcode.FIRST : 0) | (job.lastC() ? Opcode.LAST : 0);
    boolean emulated = n.op() instanceof Op.DepthwiseConv2D
        && call.unit().depthwise() == Accelerator.DepthwiseSupport.EMULATED;
    for (Map.Entry<String, Long> e : f.entrySet()) {
      Register.ofField(e.getKey()).ifPresent(r -> set(r, e.getValue()));
    }
    if (emulated) {
      emulatedDepthwise(f, flags);
      return;
    }
    Opcode op = switch (n.op()) {
      case Op.Conv2D c -> relu(c.act()) && job.lastC() ? Opcode.OP_CONV_RELU : Opcode.OP_CONV;
      case Op.FullyConnected c -> relu(c.act()) && job.lastC() ? Opcode.OP_CONV_RELU : Opcode.OP_CONV;
      case Op.DepthwiseConv2D d -> Opcode.OP_DEPTH_CONV;
      case Op.MaxPool2D p -> Opcode.OP_POOL;
      case Op.AveragePool2D p -> Opcode.OP_POOL;
      case Op.Add a -> Opcode.OP_E_ADD;
      default -> Opcode.OP_LUT;
    };
    if (op == Opcode.OP_POOL) {
      flags = n.op() instanceof Op.AveragePool2D ? Opcode.AVG : 0;
    } else if (op == Opcode.OP_E_ADD || op == Opcode.OP_LUT) {
      flags = 0;
    }
    out.add(new Instruction.Compute(op, flags));
  }

  private static boolean relu(Op.Activation a) {
    return a == Op.Activation.RELU || a == Op.Activation.RELU6;
  }

  /**
   * One {@code op_conv} per channel: a 1-in, 1-out conv whose input, weights, parameters, operand
   * and output start at the channel's element, read with the tile's channel count as pitch.
   */
  private void emulatedDepthwise(Map<String, Long> f, int flags) {
    long kt = f.get("k");
    long sKb = f.get("s_kb");
    long sKi = f.get("s_ki");
    long kb = f.get("kb");
    set(Register.IN_PITCH, kt);
    set(Register.OUT_PITCH, kt);
    set(Register.K, 1);
    set(Register.C, 1);
    set(Register.KB, 1L << 30);
    for (long ch = 0; ch < kt; ch++) {
      long bit = (ch / kb) * sKb + (ch % kb) * sKi;
      if (bit % 8 != 0) {
        throw new KilnException("emulated depthwise needs byte-aligned filters, channel " + ch + " starts at bit "
            + bit);
      }
      set(Register.IN, f.get("in") + ch);
      set(Register.W, f.get("w") + bit / 8);
      set(Register.P, f.get("p") + ch * f.get("p_bytes"));
      set(Register.OUT, f.get("out") + ch);
      set(Register.OPD, f.get("opd") + ch);
      out.add(new Instruction.Compute(Opcode.OP_CONV, flags));
    }
  }
}
