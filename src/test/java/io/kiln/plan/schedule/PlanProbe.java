package io.kiln.plan.schedule;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Objective;
import io.kiln.plan.tiling.TileProblem;
import io.kiln.plan.tiling.TilingResult;
import io.kiln.plan.tiling.TilingSolver;
import java.util.List;
import java.util.Optional;

/**
 * Benchmark access to what {@link LayerPlanner} computes internally: it keeps only the cheaper of
 * the tiling chosen with the heuristics and the one chosen without, so the L1 sweep asks for both
 * raw schedules here, built exactly as the planner builds them.
 */
public final class PlanProbe {
  private PlanProbe() {}

  /** The layer's tiling geometry as the planner sees it, if it is a tileable layer. */
  public static Optional<LayerShape> shape(Graph g, Node n) {
    return LayerGeometry.of(g, n).map(LayerGeometry::shape);
  }

  /**
   * Both raw plans of {@code n} on {@code unit}: {@code withHeuristics} from the policy's full
   * objective, {@code alphaOnly} from α alone (null when that problem is infeasible), and
   * {@code chosen}, what {@link LayerPlanner#plan} returns.
   */
  public record Raw(LayerPlan withHeuristics, LayerPlan alphaOnly, LayerPlanResult chosen) {}

  public static Raw both(LayerPlanner planner, TilingSolver solver, Graph g, Node n, Unit.AcceleratorUnit unit) {
    LayerPlanResult chosen = planner.plan(g, n, unit);
    if (!(chosen instanceof LayerPlan)) {
      return new Raw(null, null, chosen);
    }
    var hw = planner.hardware();
    LayerGeometry geo = LayerGeometry.of(g, n).orElseThrow();
    var ok = (ProblemBuilder.Ok) ProblemBuilder.build(hw, unit.accelerator(), geo);
    TileProblem p = ok.problem();
    var links = LayerPlanner.Links.of(hw, unit.accelerator()).orElseThrow();
    LayerPlan with = planner.schedule(n, List.of(), unit, geo, ok.pattern(), p,
        ((TilingResult.Solved) solver.solve(p)).tiling(), links);
    TileProblem plain = new TileProblem(p.layer(), p.sizes(), p.memories(), p.constraints(),
        new Objective(p.objective().alpha(), List.of()));
    LayerPlan without = null;
    if (solver.solve(plain) instanceof TilingResult.Solved s) {
      // Scheduled against the full problem, as the planner's guard does, so both plans are
      // checked against the same memories and constraints.
      without = planner.schedule(n, List.of(), unit, geo, ok.pattern(), p,
          io.kiln.plan.tiling.Tiling.of(p, s.tiling().sizes()), links);
    }
    return new Raw(with, without, chosen);
  }
}
