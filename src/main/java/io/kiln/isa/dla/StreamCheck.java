package io.kiln.isa.dla;

import java.util.ArrayList;
import java.util.List;

/**
 * The static check of a decoded stream against a variant's memories: it follows the register
 * file through the stream and rejects, with the instruction's byte offset, a DMA whose memory
 * does not exist or whose cube reaches outside its memory (the SRAM of a 512 KiB variant, say),
 * a {@code sync} of a DMA not started, and a stream that leaves a DMA unwaited.
 */
public final class StreamCheck {
  private StreamCheck() {}

  /**
   * Checks {@code stream} (decoded with its {@code offsets}); {@code names} and {@code sizes} are
   * the memories as the stream numbers them.
   */
  public static void check(List<Instruction> stream, List<Integer> offsets, List<String> names, List<Long> sizes) {
    int[] regs = new int[Register.COUNT];
    List<Integer> started = new ArrayList<>();
    for (int i = 0; i < stream.size(); i++) {
      long at = offsets.get(i);
      switch (stream.get(i)) {
        case Instruction.SetReg s -> regs[s.register().ordinal()] = s.value();
        case Instruction.Dma d when d.opcode() == Opcode.SYNC -> {
          if (!started.remove(Integer.valueOf(d.id()))) {
            throw new StreamFormatException(at, "sync " + d.id() + " waits for a DMA that was not started");
          }
        }
        case Instruction.Dma d -> {
          long run = u(regs, Register.DMA_RUN);
          long rows = u(regs, Register.DMA_ROWS);
          long planes = u(regs, Register.DMA_PLANES);
          if (run == 0 || rows == 0 || planes == 0) {
            throw new StreamFormatException(at, d.opcode().mnemonic() + " of an empty cube (" + planes + "x" + rows
                + "x" + run + ")");
          }
          extent(at, d, "source", regs[Register.DMA_SRC_MEM.ordinal()], u(regs, Register.DMA_SRC),
              (planes - 1) * u(regs, Register.DMA_SRC_PLANE) + (rows - 1) * u(regs, Register.DMA_SRC_ROW) + run,
              names, sizes);
          extent(at, d, "destination", regs[Register.DMA_DST_MEM.ordinal()], u(regs, Register.DMA_DST),
              (planes - 1) * u(regs, Register.DMA_DST_PLANE) + (rows - 1) * u(regs, Register.DMA_DST_ROW) + run,
              names, sizes);
          started.add(d.id());
        }
        default -> { }
      }
    }
    if (!started.isEmpty()) {
      long end = offsets.isEmpty() ? Encoding.HEADER : offsets.get(offsets.size() - 1);
      throw new StreamFormatException(end, "the stream ends with DMA " + started.get(0) + " never synced");
    }
  }

  private static long u(int[] regs, Register r) {
    return Integer.toUnsignedLong(regs[r.ordinal()]);
  }

  private static void extent(long at, Instruction.Dma d, String side, int mem, long addr, long bytes,
      List<String> names, List<Long> sizes) {
    if (mem < 0 || mem >= names.size()) {
      throw new StreamFormatException(at, d.opcode().mnemonic() + " " + d.id() + ": " + side + " memory " + mem
          + " does not exist (" + names.size() + " memories)");
    }
    if (addr + bytes > sizes.get(mem)) {
      throw new StreamFormatException(at, d.opcode().mnemonic() + " " + d.id() + ": " + side + " bytes " + addr
          + ".." + (addr + bytes) + " outside " + names.get(mem) + " (" + sizes.get(mem) + " B)");
    }
  }
}
