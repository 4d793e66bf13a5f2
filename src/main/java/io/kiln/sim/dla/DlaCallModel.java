package io.kiln.sim.dla;

import io.kiln.codegen.dla.CommandStreams;
import io.kiln.ir.Node;
import io.kiln.isa.dla.Encoding;
import io.kiln.isa.dla.Instruction;
import io.kiln.isa.dla.Opcode;
import io.kiln.isa.dla.Register;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.deploy.Region;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.schedule.Transfer;
import io.kiln.sim.CallModel;
import io.kiln.sim.CallModels;
import io.kiln.sim.ProgramCallModel;
import io.kiln.sim.SimContext;
import io.kiln.sim.SimulationException;
import io.kiln.sim.StepStats;
import io.kiln.sim.Timeline;
import io.kiln.sim.UnitTiming;
import io.kiln.target.Accelerator;
import io.kiln.target.DmaEngine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The DLA instruction-set simulator as the simulator's call model: it generates the call's
 * command stream, encodes and decodes it, and executes the decoded instructions on
 * {@link DlaMachine} over the simulated memories. Each register write costs the host
 * {@link #REG_WRITE_CYCLES}; a DMA instruction occupies a channel of its engine; a compute
 * instruction costs the unit's per-call overhead and its share of the tile's array cycles
 * ({@link UnitTiming}, which models the PE count, the parallelization and emulated depthwise),
 * the output stage counted as REQUANT (one output a PE a cycle when the description gives it no cost).
 */
public final class DlaCallModel implements CallModel {
  /** Host cycles to write one configuration register over the configuration bus. */
  public static final long REG_WRITE_CYCLES = 1;

  private final DlaStats stats;

  public DlaCallModel(DlaStats stats) {
    this.stats = stats;
  }

  /** The ISS for NVDLA units and the plan's program for the others, counting into {@code stats}. */
  public static CallModels models(DlaStats stats) {
    DlaCallModel iss = new DlaCallModel(stats);
    return unit -> unit.kind() == Accelerator.Kind.NVDLA ? iss : ProgramCallModel.INSTANCE;
  }

  @Override
  public void simulate(Step.AcceleratorCall c, SimContext ctx) {
    Node n = ctx.graph().nodes().get(c.node());
    String layer = n.op().opName() + " %" + n.output();
    String where = layer + " on " + c.unit().name();
    byte[] binary = Encoding.encode(CommandStreams.of(ctx.graph(), c, ctx::memoryIndex));
    stats.stream(binary.length);
    for (Step.Buffer b : c.buffers()) {
      if (b.region().memory().equals(c.unit().l1())) {
        stats.sram(b.region().offset() + b.region().bytes());
      }
    }
    List<Instruction> stream = Encoding.decode(binary, null);
    Map<Integer, Integer> perTile = computesPerTile(stream);
    DlaMachine m = new DlaMachine(ctx.memories(), ctx.memoryNames());
    Timeline timeline = ctx.timeline();
    StepStats st = ctx.stats();
    int s = ctx.step();
    Map<Integer, Long> done = new HashMap<>();
    Map<Integer, Integer> seen = new HashMap<>();
    long pendingWrites = 0;
    for (Instruction ins : stream) {
      String at = where + " tile " + m.reg(Register.TILE);
      switch (ins) {
        case Instruction.SetReg r -> {
          m.execute(r, "", at);
          pendingWrites += REG_WRITE_CYCLES;
          stats.instruction(Opcode.SET_REG, REG_WRITE_CYCLES, 0);
        }
        case Instruction.LutLoad l -> {
          m.execute(l, "", at);
          pendingWrites += 64 * REG_WRITE_CYCLES;
          stats.instruction(Opcode.LUT_LOAD, 64 * REG_WRITE_CYCLES, 0);
        }
        case Instruction.Dma d when d.opcode() == Opcode.SYNC -> {
          Long end = done.get(d.id());
          if (end == null) {
            throw new SimulationException(at + ": sync " + d.id() + " before its DMA started");
          }
          timeline.hostWait(end, "sync " + d.id(), s);
          stats.instruction(Opcode.SYNC, 0, 0);
        }
        case Instruction.Dma d -> {
          timeline.hostBusy(pendingWrites, "set_reg", "setup", s, m.reg(Register.TILE));
          pendingWrites = 0;
          DmaDescriptor probe = m.descriptor(d, "", at);
          DmaEngine e = ctx.hardware().dma(probe.src(), probe.dst()).orElseThrow(() -> new SimulationException(
              at + ": no DMA engine moves " + probe.src() + " -> " + probe.dst()));
          DmaDescriptor desc = m.descriptor(d, e.name(), at);
          ProgramCallModel.copy(ctx.memories(), desc, at);
          done.put(d.id(), timeline.dma(e, desc, s));
          long cycles = timeline.lastDmaCycles();
          if (desc.kind() == Transfer.Kind.WEIGHTS || desc.kind() == Transfer.Kind.PARAMS) {
            st.kernel(cycles);
          }
          st.bytes(desc.src(), desc.dst(), desc.bytes());
          st.energy(desc.src(), desc.bytes() * ctx.energyPerByte(desc.src()));
          st.energy(desc.dst(), desc.bytes() * ctx.energyPerByte(desc.dst()));
          stats.instruction(d.opcode(), cycles, 0);
          stats.kind(layer, SubgraphKind.DMA, cycles);
        }
        case Instruction.Compute k -> {
          m.execute(k, "", at);
          int tile = m.reg(Register.TILE);
          int count = perTile.get(tile);
          int index = seen.merge(tile, 1, Integer::sum);
          compute(c, ctx, k.opcode(), tile, count, index, pendingWrites, layer, at);
          pendingWrites = 0;
        }
      }
    }
  }

  private void compute(Step.AcceleratorCall c, SimContext ctx, Opcode op, int tile, int count, int index,
      long writes, String layer, String at) {
    if (tile < 0 || tile >= c.jobs().size()) {
      throw new SimulationException(at + ": tile " + tile + " is not a tile of the call");
    }
    TileJob job = c.jobs().get(tile);
    long all = UnitTiming.cycles(c, job);
    long stage = job.lastC() ? all - UnitTiming.cycles(c, withoutOutputStage(job)) : 0;
    io.kiln.plan.schedule.ArrayWork.Work work = UnitTiming.work(c, job);
    boolean array = SubgraphKind.of(op) == SubgraphKind.CONV || SubgraphKind.of(op) == SubgraphKind.DEPTH;
    if (array && job.lastC() && stage == 0) {
      // A description without an output-stage cost: the requantizer takes one output a PE a cycle.
      stage = (work.outputs() + c.unit().peakMacsPerCycle() - 1) / c.unit().peakMacsPerCycle();
      all += stage;
    }
    // The tile's cycles and MACs split evenly over its instructions (emulated depthwise has one a channel).
    long compute = share(all, count, index);
    long requant = share(stage, count, index);
    long macs = share(work.macs(), count, index);
    long setup = c.unit().perCallOverheadCycles() + writes;
    ctx.timeline().job(c.unit(), setup, compute, at, ctx.step(), tile);
    StepStats st = ctx.stats();
    st.compute(compute);
    st.kernel(compute + setup);
    st.macs(macs);
    if (index == count) {
      st.tile();
      ProgramCallModel.traffic(ctx, job);
    }
    st.energy(c.unit().name(), macs * c.unit().energyPjPerMac());
    stats.instruction(op, compute, macs);
    SubgraphKind kind = SubgraphKind.of(op);
    // Subgraph kinds are the layer's: an emulated depthwise layer's op_conv is DEPTH work.
    if (kind == SubgraphKind.CONV && c.geometry().shape().depthwise()) {
      kind = SubgraphKind.DEPTH;
    }
    if (kind == SubgraphKind.CONV || kind == SubgraphKind.DEPTH) {
      stats.kind(layer, kind, compute - requant);
      stats.kind(layer, SubgraphKind.REQUANT, requant);
    } else {
      stats.kind(layer, kind, compute);
    }
  }

  private static long share(long total, int count, int index) {
    long base = total / count;
    return index == count ? total - base * (count - 1) : base;
  }

  private static TileJob withoutOutputStage(TileJob j) {
    return new TileJob(j.tile(), j.k(), j.c(), j.y(), j.x(), j.inRows(), j.inCols(), j.input(), j.weights(),
        j.params(), j.output(), j.operand(), j.firstC(), false);
  }

  private static Map<Integer, Integer> computesPerTile(List<Instruction> stream) {
    Map<Integer, Integer> per = new HashMap<>();
    int tile = 0;
    for (Instruction i : stream) {
      if (i instanceof Instruction.SetReg r && r.register() == Register.TILE) {
        tile = r.value();
      } else if (i instanceof Instruction.Compute) {
        per.merge(tile, 1, Integer::sum);
      }
    }
    return per;
  }
}
