package io.kiln.sim;

import io.kiln.codegen.accel.Jobs;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.plan.deploy.Action;
import io.kiln.plan.deploy.DmaDescriptor;
import io.kiln.plan.deploy.Region;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.schedule.Transfer;
import io.kiln.target.DmaEngine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The default call model: the host walks the call's program in order — a DMA start moves its
 * descriptor's bytes and occupies a channel of its engine, a wait holds the host until the named
 * transfers end, a run computes the job with {@link UnitFunctions} and times it with
 * {@link UnitTiming}.
 */
public final class ProgramCallModel implements CallModel {
  public static final ProgramCallModel INSTANCE =
      new ProgramCallModel((call, job, ctx) -> UnitTiming.cycles(call, job), (call, ctx) -> ConvTile.DIRECT);

  /** How many cycles a unit computes one job (the host's per-job overhead apart). */
  @FunctionalInterface
  public interface JobCycles {
    long cycles(Step.AcceleratorCall call, TileJob job, SimContext ctx);
  }

  /** How a unit carries out the multiply-accumulates of a call's conv jobs. */
  @FunctionalInterface
  public interface ConvData {
    ConvTile.Sums of(Step.AcceleratorCall call, SimContext ctx);
  }

  private final JobCycles jobCycles;
  private final ConvData convData;

  private ProgramCallModel(JobCycles jobCycles, ConvData convData) {
    this.jobCycles = jobCycles;
    this.convData = convData;
  }

  /**
   * The program walk and the functional model of this class with another array timing: for a
   * unit kind whose data flow the description's {@link io.kiln.target.ArrayTiming} cannot price.
   */
  public static ProgramCallModel timedBy(JobCycles jobCycles) {
    return new ProgramCallModel(jobCycles, (call, ctx) -> ConvTile.DIRECT);
  }

  /**
   * The program walk with another array timing and another data flow for the conv sums (the
   * output stage stays {@link UnitFunctions}'s): for a unit kind that computes its tiles its own way.
   */
  public static ProgramCallModel of(JobCycles jobCycles, ConvData convData) {
    return new ProgramCallModel(jobCycles, convData);
  }

  @Override
  public void simulate(Step.AcceleratorCall c, SimContext ctx) {
    Node n = ctx.graph().nodes().get(c.node());
    String where = n.op().opName() + " %" + n.output() + " on " + c.unit().name();
    boolean table = n.op() instanceof Op.Relu || n.op() instanceof Op.Relu6 || n.op() instanceof Op.Logistic
        || n.op() instanceof Op.Tanh;
    int[] lut = table && ctx.functional() ? Jobs.table(ctx.graph(), n) : null;
    String[] names = ctx.memoryNames();
    Timeline timeline = ctx.timeline();
    StepStats stats = ctx.stats();
    int s = ctx.step();
    Map<Integer, Long> done = new HashMap<>();
    ConvTile.Sums sums = ctx.functional() ? convData.of(c, ctx) : null;
    for (Action a : c.program()) {
      switch (a) {
        case Action.Start st -> {
          DmaDescriptor d = st.dma();
          if (ctx.functional()) {
            copy(ctx.memories(), d, where + " tile " + d.tile());
          }
          DmaEngine e = ctx.hardware().dma(d.src(), d.dst()).orElseThrow(() -> new SimulationException(where
              + ": no DMA engine moves " + d.src() + " -> " + d.dst()));
          done.put(d.id(), timeline.dma(e, d, s));
          if (d.kind() == Transfer.Kind.WEIGHTS || d.kind() == Transfer.Kind.PARAMS) {
            stats.kernel(timeline.lastDmaCycles());
          }
          stats.bytes(d.src(), d.dst(), d.bytes());
          stats.energy(d.src(), d.bytes() * ctx.energyPerByte(d.src()));
          stats.energy(d.dst(), d.bytes() * ctx.energyPerByte(d.dst()));
        }
        case Action.Wait w -> {
          long until = w.ids().stream().mapToLong(id -> done.getOrDefault(id, 0L)).max().orElse(0);
          timeline.hostWait(until, "wait dma", s);
        }
        case Action.Run r -> {
          TileJob job = c.jobs().get(r.tile());
          String at = where + " tile " + job.tile();
          if (ctx.functional()) {
            Map<String, Long> fields = Jobs.of(ctx.graph(), c, job, ctx::memoryIndex);
            try {
              UnitFunctions.run(fields, ctx.memories(), names, lut, at, sums);
            } catch (ArrayIndexOutOfBoundsException e) {
              throw new SimulationException(at + ": a read outside its buffers (" + e.getMessage() + ")");
            }
          }
          io.kiln.plan.schedule.ArrayWork.Work work = UnitTiming.work(c, job);
          long compute = jobCycles.cycles(c, job, ctx);
          long setup = work.calls() * c.unit().perCallOverheadCycles();
          timeline.job(c.unit(), setup, compute, at, s, job.tile());
          stats.compute(compute);
          stats.kernel(compute + setup);
          stats.macs(work.macs());
          stats.tile();
          stats.energy(c.unit().name(), work.macs() * c.unit().energyPjPerMac());
          traffic(ctx, job);
        }
      }
    }
  }

  /** Energy of a job's reads of its buffers and its write of the output tile, once each. */
  public static void traffic(SimContext ctx, TileJob job) {
    List<Region> touched = new ArrayList<>();
    touched.add(job.input());
    job.weights().ifPresent(touched::add);
    job.params().ifPresent(touched::add);
    job.operand().ifPresent(touched::add);
    touched.add(job.output());
    for (Region r : touched) {
      ctx.stats().energy(r.memory(), r.bytes() * ctx.energyPerByte(r.memory()));
    }
  }

  /** Moves the bytes of {@code d} between the simulated memories. */
  public static void copy(SimMemories mem, DmaDescriptor d, String where) {
    String what = where + ": a " + d.kind().name().toLowerCase(Locale.ROOT) + " DMA";
    byte[] src = mem.checked(d.src(), d.srcAddr(), d.srcExtent().bytes(), what + " read");
    byte[] dst = mem.checked(d.dst(), d.dstAddr(), d.dstExtent().bytes(), what + " write");
    d.forEachRun((from, to) -> System.arraycopy(src, (int) from, dst, (int) to, (int) d.run()));
  }
}
