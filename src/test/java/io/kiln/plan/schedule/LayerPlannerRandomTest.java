package io.kiln.plan.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.TensorType;
import io.kiln.plan.tiling.BranchAndBoundSolver;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import io.kiln.target.Targets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded random layer geometries × memory budgets through the planner and the plan checker. */
class LayerPlannerRandomTest {

  /** A description whose L1 and weight memories are shrunk to the given sizes. */
  static HardwareDescription withBudgets(HardwareDescription hw, long l1, long weights) {
    List<MemoryLevel> mems = new ArrayList<>();
    String l1Name = hw.accelerators().get(0).l1();
    for (MemoryLevel m : hw.memories()) {
      mems.add(m.name().equals(l1Name) ? new MemoryLevel(m.name(), l1, m.bandwidthBytesPerCycle(),
          m.latencyCycles(), m.energyPjPerByte(), m.writable(), m.readers()) : m);
    }
    List<Accelerator> accs = new ArrayList<>();
    for (Accelerator a : hw.accelerators()) {
      Optional<MemoryLevel> wm = a.weightMemory().map(m -> new MemoryLevel(m.name(), weights,
          m.bandwidthBytesPerCycle(), m.latencyCycles(), m.energyPjPerByte(), m.writable(), m.readers()));
      accs.add(a.withWeightMemory(wm));
    }
    return new HardwareDescription(hw.name(), hw.description(), hw.clockHz(), mems, hw.dmas(), hw.cpu(), accs);
  }

  static Graph conv(Random r, boolean depthwise, int c, int k, int h, int w, int f, int stride, int pad) {
    int oh = (h + 2 * pad - f) / stride + 1;
    int ow = (w + 2 * pad - f) / stride + 1;
    GraphBuilder b = new GraphBuilder("layer");
    int in = b.input("in", TensorType.quantized(DType.INT8, io.kiln.ir.Shape.of(1, h, w, c), 0.1, 0));
    int[] wv = new int[(depthwise ? c : k * c) * f * f];
    for (int i = 0; i < wv.length; i++) {
      wv[i] = r.nextInt(3) - 1;
    }
    int filt = b.constant("w", TensorType.quantized(DType.INT8, depthwise ? io.kiln.ir.Shape.of(1, f, f, c)
        : io.kiln.ir.Shape.of(k, f, f, c), 0.1, 0), ConstData.ofInts(DType.INT8, wv));
    int out;
    Op.Pads pads = new Op.Pads(pad, pad, pad, pad);
    if (depthwise) {
      out = b.value("out", TensorType.quantized(DType.INT8, io.kiln.ir.Shape.of(1, oh, ow, c), 0.1, 0));
      b.node(new Op.DepthwiseConv2D(stride, stride, 1, 1, pads, 1, Op.Activation.NONE), List.of(in, filt),
          List.of(out));
    } else {
      out = b.value("out", TensorType.quantized(DType.INT8, io.kiln.ir.Shape.of(1, oh, ow, k), 0.1, 0));
      b.node(new Op.Conv2D(stride, stride, 1, 1, pads, Op.Activation.NONE), List.of(in, filt), List.of(out));
    }
    b.output(out);
    return b.build();
  }

  @Test
  void thousandsOfRandomLayersAndBudgetsPassThePlanChecker() {
    Random r = new Random(20240605L);
    List<HardwareDescription> bases = List.of(Targets.resolve("diana"), Targets.resolve("dla"),
        Targets.resolve("dla:pe=128,sram=1MiB,par=input"));
    int plans = 0;
    int refused = 0;
    for (int i = 0; i < 1200; i++) {
      boolean dw = r.nextInt(4) == 0;
      int c = 1 + r.nextInt(32);
      int k = dw ? c : 1 + r.nextInt(32);
      int f = 1 + r.nextInt(3) * 2;
      int h = f + r.nextInt(12);
      int w = f + r.nextInt(12);
      int stride = 1 + r.nextInt(2);
      int pad = r.nextInt((f + 1) / 2);
      Graph g = conv(r, dw, c, k, h, w, f, stride, pad);
      HardwareDescription base = bases.get(r.nextInt(bases.size()));
      HardwareDescription hw = withBudgets(base, 64 + r.nextInt(16 * 1024), 16 + r.nextInt(4096));
      LayerPlanner planner = new LayerPlanner(hw, new BranchAndBoundSolver());
      Node n = g.nodes().get(0);
      for (Accelerator a : hw.accelerators()) {
        switch (planner.plan(g, n, new Unit.AcceleratorUnit(a))) {
          case LayerPlan p -> {
            assertThat(PlanChecker.check(p)).as("case " + i + " on " + a.name() + ": " + p.tiling()).isEmpty();
            assertThat(p.macs()).isEqualTo(p.problem().layer().macs());
            plans++;
          }
          case Unplannable u -> {
            assertThat(u.reason()).isNotBlank();
            refused++;
          }
        }
      }
    }
    assertThat(plans).isGreaterThan(600);
    assertThat(refused).isPositive();
  }

  @Test
  void aLayerTooBigForAnyTileIsUnplannableNamingTheMemoryAndSizes() {
    Graph g = conv(new Random(1), false, 64, 64, 32, 32, 3, 1, 1);
    HardwareDescription hw = withBudgets(Targets.resolve("dla"), 1024, 0);
    LayerPlanResult r = new LayerPlanner(hw, new BranchAndBoundSolver()).plan(g, g.nodes().get(0),
        new Unit.AcceleratorUnit(hw.accelerators().get(0)));
    assertThat(r).isInstanceOf(Unplannable.class);
    assertThat(((Unplannable) r).reason()).contains("sram").contains("1024 B").contains("L1 1,024 B");
  }

  @Test
  void cpuPlanHasNoTransfersAndUsesTheCpuClock() {
    Graph g = conv(new Random(2), false, 8, 8, 8, 8, 3, 1, 1);
    HardwareDescription hw = Targets.resolve("diana");
    LayerPlan p = (LayerPlan) new LayerPlanner(hw, new BranchAndBoundSolver()).plan(g, g.nodes().get(0),
        new Unit.CpuUnit(hw.cpu()));
    assertThat(p.tiled()).isFalse();
    assertThat(p.transfers()).isEmpty();
    assertThat(p.macs()).isEqualTo(8L * 8 * 8 * 8 * 9);
    // 0.5 cycles per MAC plus the call overhead, from diana.yaml.
    assertThat(p.totalCycles()).isEqualTo(hw.cpu().perCallOverheadCycles() + p.macs() / 2);
    assertThat(PlanChecker.check(p)).isEmpty();
  }
}
