package io.kiln.sim.dla;

import io.kiln.isa.dla.Instruction;
import io.kiln.isa.dla.Opcode;
import io.kiln.isa.dla.Register;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.schedule.Transfer;
import io.kiln.sim.ProgramCallModel;
import io.kiln.sim.SimMemories;
import io.kiln.sim.SimulationException;
import io.kiln.sim.UnitFunctions;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The functional model of the DLA: its configuration register file, lookup table and the effect
 * of each instruction on the simulated memories. Conv, depthwise, pooling, int8 add and table
 * instructions build the job fields from the registers and run {@link UnitFunctions}; a
 * one-channel view ({@code in_pitch} > 0, emulated depthwise) is staged through the machine's
 * line buffers. Timing is {@link DlaCallModel}'s concern.
 */
public final class DlaMachine {
  private final int[] regs = new int[Register.COUNT];
  private final SimMemories mem;
  private final String[] names;
  private int[] lut;

  public DlaMachine(SimMemories mem, String[] memoryNames) {
    this.mem = mem;
    this.names = memoryNames.clone();
  }

  public int reg(Register r) {
    return regs[r.ordinal()];
  }

  /** Clears the register file, as submitting a stream does. */
  public void reset() {
    java.util.Arrays.fill(regs, 0);
    lut = null;
  }

  private String memory(int i, String where) {
    if (i < 0 || i >= names.length) {
      throw new SimulationException(where + ": memory " + i + " does not exist");
    }
    return names[i];
  }

  /** The transfer the DMA registers describe, as instruction {@code d} starts it. */
  public DmaDescriptor descriptor(Instruction.Dma d, String engine, String where) {
    Transfer.Kind[] kinds = Transfer.Kind.values();
    if (d.role() >= kinds.length) {
      throw new SimulationException(where + ": DMA role " + d.role() + " does not exist");
    }
    long run = u(Register.DMA_RUN);
    long rows = u(Register.DMA_ROWS);
    long planes = u(Register.DMA_PLANES);
    if (run < 1 || rows < 1 || planes < 1) {
      throw new SimulationException(where + ": a DMA of " + planes + "x" + rows + "x" + run + " bytes");
    }
    return new DmaDescriptor(d.id(), kinds[d.role()], reg(Register.TILE), engine,
        memory(reg(Register.DMA_SRC_MEM), where), u(Register.DMA_SRC), memory(reg(Register.DMA_DST_MEM), where),
        u(Register.DMA_DST), run, rows, planes, u(Register.DMA_SRC_ROW), u(Register.DMA_SRC_PLANE),
        u(Register.DMA_DST_ROW), u(Register.DMA_DST_PLANE));
  }

  private long u(Register r) {
    return Integer.toUnsignedLong(reg(r));
  }

  /** Executes {@code i}; a DMA moves its bytes, {@code sync} has no functional effect. */
  public void execute(Instruction i, String engine, String where) {
    switch (i) {
      case Instruction.SetReg s -> regs[s.register().ordinal()] = s.value();
      case Instruction.LutLoad l -> {
        byte[] t = l.table();
        lut = new int[256];
        for (int k = 0; k < 256; k++) {
          lut[k] = t[k];
        }
      }
      case Instruction.Dma d -> {
        if (d.opcode() != Opcode.SYNC) {
          ProgramCallModel.copy(mem, descriptor(d, engine, where), where);
        }
      }
      case Instruction.Compute c -> compute(c, where);
    }
  }

  private void compute(Instruction.Compute c, String where) {
    int kind = switch (c.opcode()) {
      case OP_CONV, OP_CONV_RELU -> 1;
      case OP_DEPTH_CONV -> 2;
      case OP_POOL -> (c.flags() & Opcode.AVG) != 0 ? 4 : 3;
      case OP_E_ADD -> 5;
      case OP_LUT -> 6;
      default -> 0;
    };
    if (kind == 0) {
      new VectorOps(regs, mem, names, where).run(c.opcode());
      return;
    }
    if (kind == 6 && lut == null) {
      throw new SimulationException(where + ": op_lut before a lut_load");
    }
    Map<String, Long> f = fields(kind, c);
    if (c.opcode() == Opcode.OP_CONV_RELU) {
      f.put("act_min", Math.max(f.get("act_min"), f.get("out_zp")));
    }
    try {
      if (reg(Register.IN_PITCH) > 0) {
        staged(f, where);
      } else {
        UnitFunctions.run(f, mem, names, lut, where);
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      throw new SimulationException(where + ": a read outside its buffers (" + e.getMessage() + ")");
    }
  }

  private Map<String, Long> fields(int kind, Instruction.Compute c) {
    Map<String, Long> f = new LinkedHashMap<>();
    for (Register r : Register.values()) {
      boolean unsigned = r == Register.IN || r == Register.W || r == Register.P || r == Register.OUT
          || r == Register.OPD || r.name().startsWith("S_");
      f.put(r.field(), unsigned ? u(r) : (long) reg(r));
    }
    f.put("kind", (long) kind);
    f.put("first", c.first() || kind > 2 ? 1L : 0L);
    f.put("last", c.last() || kind > 2 ? 1L : 0L);
    return f;
  }

  /**
   * A one-channel instruction on tiles stored with {@code in_pitch} (and {@code out_pitch})
   * channels: the channel is gathered into dense line buffers, computed there and scattered back.
   */
  private void staged(Map<String, Long> f, String where) {
    if (f.get("k") != 1 || f.get("c") != 1 || f.get("first") != 1 || f.get("last") != 1 || f.get("chw") != 0) {
      throw new SimulationException(where + ": a pitched instruction needs one channel in and out, a whole"
          + " reduction and HWC tiles");
    }
    long inPitch = f.get("in_pitch");
    long outPitch = Math.max(1, f.get("out_pitch"));
    int pixels = (int) (f.get("rows") * f.get("cols"));
    int outs = (int) (f.get("oy") * f.get("ox"));
    byte[] in = gather(f.get("in_mem"), f.get("in"), pixels, inPitch, where + ": the input tile");
    byte[] opd = f.get("fuse_add") != 0 ? gather(f.get("opd_mem"), f.get("opd"), outs, outPitch,
        where + ": the operand tile") : new byte[1];
    byte[] out = new byte[Math.max(outs, 1)];
    Map<String, byte[]> arrays = new HashMap<>();
    for (String n : names) {
      arrays.put(n, mem.checked(n, 0, 0, where));
    }
    int base = names.length;
    String[] all = java.util.Arrays.copyOf(names, base + 3);
    all[base] = "dla.line_in";
    all[base + 1] = "dla.line_opd";
    all[base + 2] = "dla.line_out";
    arrays.put(all[base], in);
    arrays.put(all[base + 1], opd);
    arrays.put(all[base + 2], out);
    f.put("in_mem", (long) base);
    f.put("in", 0L);
    f.put("opd_mem", (long) base + 1);
    f.put("opd", 0L);
    f.put("out_mem", (long) base + 2);
    f.put("out", 0L);
    UnitFunctions.run(f, SimMemories.over(arrays), all, lut, where);
    long written = f.get("pool_kind") != 0 ? (long) (f.get("oy") / f.get("pool_y")) * (f.get("ox") / f.get("pool_x"))
        : outs;
    // The output register still holds the tile's own address; the fields now point at the line buffer.
    int o = (int) u(Register.OUT);
    byte[] dst = mem.checked(memory(reg(Register.OUT_MEM), where), o, (written - 1) * outPitch + 1,
        where + ": the output tile");
    for (int p = 0; p < written; p++) {
      dst[(int) (o + p * outPitch)] = out[p];
    }
  }

  private byte[] gather(long memIndex, long at, int n, long pitch, String what) {
    byte[] src = mem.checked(memory((int) memIndex, what), at, (n - 1) * pitch + 1, what);
    byte[] d = new byte[n];
    for (int p = 0; p < n; p++) {
      d[p] = src[(int) (at + p * pitch)];
    }
    return d;
  }
}
