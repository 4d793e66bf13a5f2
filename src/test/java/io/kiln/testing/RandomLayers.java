package io.kiln.testing;

import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Targets;
import java.util.Random;

/**
 * Seeded random deployments for plan and code-generation tests: one int8 conv of random geometry
 * (sometimes followed by a pooling, an Add or a standalone activation), planned on a dla variant
 * whose SRAM is cut to a random size between 2 KiB and 128 KiB, or on DIANA (digital, or analog
 * with --ternarize) with its L1 cut to between 4 KiB and 128 KiB, so that most layers are tiled.
 */
public final class RandomLayers {
  private RandomLayers() {}

  public static Graph graph(Random r) {
    PlanGraphs p = new PlanGraphs(r.nextLong());
    int h = 4 + r.nextInt(20);
    int w = 4 + r.nextInt(20);
    int c = 1 + r.nextInt(48);
    int k = 1 + r.nextInt(64);
    int f = 1 + 2 * r.nextInt(3);
    int stride = 1 + r.nextInt(2);
    int x = p.input(h, w, c, 0.5);
    int y = p.conv(x, k, f, stride, f / 2, 0.25, 1.0, r.nextBoolean() ? Op.Activation.RELU : Op.Activation.NONE);
    int out = switch (r.nextInt(4)) {
      case 0 -> p.pool(y, r.nextBoolean(), 2, 2, Op.Pads.NONE);
      case 1 -> p.add(y, y, 1.0, Op.Activation.NONE);
      case 2 -> switch (r.nextInt(3)) {
        case 0 -> p.unary(new Op.Relu(), y, 0.5);
        case 1 -> p.unary(new Op.Relu6(), y, 1.0);
        default -> p.unary(new Op.Tanh(), y, 1.0 / 128);
      };
      default -> y;
    };
    return p.build(out);
  }

  public static Planner.Planned plan(Random r) {
    Graph g = graph(r);
    int which = r.nextInt(3);
    if (which == 2) {
      // DIANA: shift-only stages, CHW tiles, ternary crossbar weights; its shared L1 cut.
      HardwareDescription hw = TestTargets.withMemory(Targets.resolve("diana"), "l1", 4096L << r.nextInt(6));
      Policy p = r.nextBoolean() ? Policy.DIGITAL : Policy.ANALOG;
      return Planner.plan(g, hw, new Planner.Options(p, p == Policy.ANALOG, SolverKind.BNB));
    }
    HardwareDescription hw = Targets.resolve(which == 0 ? "dla" : "dla:pe=128,par=input,dw=native");
    hw = TestTargets.withMemory(hw, "sram", 2048L << r.nextInt(7));
    return Planner.plan(g, hw, new Planner.Options(Policy.defaultFor(hw), false, SolverKind.BNB));
  }
}
