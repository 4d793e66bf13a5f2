package io.kiln.plan.schedule;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.target.Cpu;
import io.kiln.target.HardwareDescription;
import java.util.List;
import java.util.Optional;

/**
 * The CPU's side of the cost model: one untiled kernel call whose cycles come from the CPU's
 * per-kernel-kind cycle model ({@code overhead + cycles per unit × work}); the CPU reads its
 * operands in place, so there are no transfers.
 */
public final class CpuCost {
  private CpuCost() {}

  /**
   * The multiply-accumulates of one layer: its geometry's for convolutions, pooling and fully
   * connected layers, rows x depth for a MatMul, output elements x filter area for a depthwise
   * convolution with a depth multiplier (which has no geometry), 0 for the rest.
   */
  public static long macs(Graph g, Node n) {
    Optional<LayerGeometry> geo = geometry(g, n);
    if (geo.isEmpty() && n.op() instanceof Op.DepthwiseConv2D) {
      int[] f = g.input(n, Op.DepthwiseConv2D.FILTER).shape().dims();
      return f.length == 4 ? g.output(n).shape().elements() * f[1] * f[2] : 0;
    }
    if (geo.isEmpty() && n.op() instanceof Op.BatchMatMul bm) {
      int[] a = g.input(n, Op.BatchMatMul.LHS).shape().dims();
      return (long) g.output(n).shape().elements() * a[bm.adjX() ? a.length - 2 : a.length - 1];
    }
    if (geo.isEmpty() && n.op() instanceof Op.MatMul) {
      int[] a = g.input(n, 0).shape().dims();
      int[] out = g.output(n).shape().dims();
      return a.length == 0 || out.length == 0 ? 0
          : (long) g.output(n).shape().elements() * a[a.length - 1];
    }
    return geo.map(LayerGeometry::macs).orElse(0L);
  }

  /** The units of work the cycle model multiplies by: MACs, window elements or output elements. */
  public static long work(Graph g, Node n) {
    long outputs = g.output(n).shape().elements();
    return switch (kind(n.op()).unit()) {
      case MAC -> macs(g, n);
      case WINDOW_ELEMENT -> geometry(g, n).map(x -> outputs * x.shape().fy() * x.shape().fx())
          .orElse(outputs);
      case OUTPUT_ELEMENT -> outputs;
    };
  }

  private static Optional<LayerGeometry> geometry(Graph g, Node n) {
    try {
      return LayerGeometry.of(g, n);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  static LayerPlanResult plan(HardwareDescription hw, Graph g, Node n, Unit.CpuUnit unit) {
    Cpu cpu = unit.cpu();
    Cpu.KernelKind kind = kind(n.op());
    long macs = macs(g, n);
    long work = work(g, n);
    Cpu.KernelCost cost = cpu.cost(kind);
    long cycles = cpu.perCallOverheadCycles() + cost.overheadCycles() + (long) Math.ceil(cost.cyclesPerUnit() * work);
    long peak = Math.max(1, cpu.cores() * Math.max(1, cpu.simdWidthBits() / 8));
    double util = macs == 0 ? 0 : Math.min(1.0, (double) macs / ((double) cycles * peak));
    return new LayerPlan(n, unit, null, null, List.of(), List.of(new ComputeCall(0, 0, cycles, macs)), 0, 0, 0,
        cycles, 0, cycles, util, macs, cycles * cpu.energyPjPerCycle(), cpu.clockHz());
  }

  /** The cycle-model entry an operator is charged under. */
  public static Cpu.KernelKind kind(Op op) {
    return switch (op) {
      case Op.Conv2D c -> Cpu.KernelKind.CONV2D;
      case Op.TransposeConv c -> Cpu.KernelKind.CONV2D;
      case Op.DepthwiseConv2D d -> Cpu.KernelKind.DEPTHWISE_CONV2D;
      case Op.FullyConnected f -> Cpu.KernelKind.FULLY_CONNECTED;
      case Op.MatMul m -> Cpu.KernelKind.MATMUL;
      case Op.BatchMatMul m -> Cpu.KernelKind.MATMUL;
      case Op.AveragePool2D p -> Cpu.KernelKind.POOL;
      case Op.MaxPool2D p -> Cpu.KernelKind.POOL;
      case Op.Mean m -> Cpu.KernelKind.POOL;
      case Op.Add a -> Cpu.KernelKind.ELEMENTWISE;
      case Op.Sub s -> Cpu.KernelKind.ELEMENTWISE;
      case Op.Mul m -> Cpu.KernelKind.ELEMENTWISE;
      case Op.Div d -> Cpu.KernelKind.ELEMENTWISE;
      case Op.Maximum m -> Cpu.KernelKind.ELEMENTWISE;
      case Op.Minimum m -> Cpu.KernelKind.ELEMENTWISE;
      case Op.Softmax s -> Cpu.KernelKind.SOFTMAX;
      case Op.Quantize q -> Cpu.KernelKind.REQUANTIZE;
      case Op.Dequantize d -> Cpu.KernelKind.REQUANTIZE;
      case Op.Relu r -> Cpu.KernelKind.ACTIVATION;
      case Op.Relu6 r -> Cpu.KernelKind.ACTIVATION;
      case Op.Logistic r -> Cpu.KernelKind.ACTIVATION;
      case Op.Tanh r -> Cpu.KernelKind.ACTIVATION;
      case Op.LeakyRelu r -> Cpu.KernelKind.ACTIVATION;
      case Op.PRelu r -> Cpu.KernelKind.ACTIVATION;
      case Op.Clip r -> Cpu.KernelKind.ACTIVATION;
      case Op.HardSigmoid r -> Cpu.KernelKind.ACTIVATION;
      case Op.HardSwish r -> Cpu.KernelKind.ACTIVATION;
      case Op.Elu r -> Cpu.KernelKind.ACTIVATION;
      case Op.Abs r -> Cpu.KernelKind.ACTIVATION;
      case Op.Neg r -> Cpu.KernelKind.ACTIVATION;
      case Op.Exp r -> Cpu.KernelKind.ACTIVATION;
      case Op.Log r -> Cpu.KernelKind.ACTIVATION;
      case Op.Sqrt r -> Cpu.KernelKind.ACTIVATION;
      default -> Cpu.KernelKind.DATA_MOVEMENT;
    };
  }
}
