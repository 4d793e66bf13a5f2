package io.kiln.plan.dispatch;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.plan.dispatch.DispatchResult.LayerDispatch;
import io.kiln.plan.schedule.LayerPlan;
import io.kiln.plan.schedule.LayerPlanResult;
import io.kiln.plan.schedule.LayerPlanner;
import io.kiln.plan.schedule.NetworkSchedule;
import io.kiln.plan.schedule.Unit;
import io.kiln.plan.schedule.Unplannable;
import io.kiln.target.HardwareDescription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A dispatch whose every layer has a plan: each layer is planned on its unit; a fused layer no
 * tiling fits is dispatched again without that fusion (its nodes then run apart, with the
 * planner's reason), and any other accelerator layer no tiling fits is dispatched again without
 * that unit, so the policy picks among the other units that accept it (the CPU when none is
 * left), with the planner's reason among its rejections. Nodes fused into another layer have no
 * plan of their own: that layer's plan runs them.
 *
 * @param plans by node index, one per node that is not fused into another
 */
public record PlannedDispatch(DispatchResult dispatch, Map<Integer, LayerPlan> plans) {

  public PlannedDispatch {
    plans = Map.copyOf(plans);
  }

  /** Dispatches {@code g} on {@code hw} under {@code o} and plans every layer with {@code planner}. */
  public static PlannedDispatch of(Graph g, HardwareDescription hw, Dispatcher.Options o,
      LayerPlanner planner) {
    Map<Key, LayerPlanResult> cache = new HashMap<>();
    Dispatcher.Options options = o;
    while (true) {
      DispatchResult d = Dispatcher.dispatch(g, hw, options);
      Dispatcher.Options refused = null;
      boolean fusionRefused = false;
      Map<Integer, LayerPlan> plans = new TreeMap<>();
      List<LayerDispatch> layers = new ArrayList<>();
      for (LayerDispatch l : d.layers()) {
        if (l.fused()) {
          layers.add(l);
          continue;
        }
        Unit unit = hw.accelerator(l.unit()).<Unit>map(Unit.AcceleratorUnit::new)
            .orElse(new Unit.CpuUnit(hw.cpu()));
        List<Node> fused = l.layer().map(Layer::fusedNodes).orElse(List.of());
        LayerPlanResult r = cache.computeIfAbsent(new Key(l.index(), l.unit(), fused),
            k -> planner.plan(g, l.node(), fused, unit));
        switch (r) {
          case LayerPlan p -> {
            plans.put(l.index(), p);
            layers.add(l);
          }
          case Unplannable u when !fused.isEmpty() -> {
            // A fusion changes its neighbours' layers: dispatch again before planning on.
            refused = (refused != null ? refused : options).refusing(
                new Dispatcher.Refusal(l.index(), l.layer().get().pattern()), "no tiling fits: " + u.reason());
            fusionRefused = true;
          }
          case Unplannable u when unit instanceof Unit.AcceleratorUnit -> refused =
              (refused != null ? refused : options).refusingUnit(
                  new Dispatcher.UnitRefusal(l.index(), l.unit()), "no tiling fits: " + u.reason());
          case Unplannable u -> throw new IllegalStateException("the CPU cannot plan "
              + l.node().op().opName() + ": " + u.reason());
        }
        if (fusionRefused) {
          break;
        }
      }
      if (refused == null) {
        return new PlannedDispatch(new DispatchResult(d.target(), d.policy(), d.graph(), layers),
            plans);
      }
      // Each round refuses at least one more fusion or unit, so this ends.
      options = refused;
    }
  }

  /**
   * The network schedule of these plans on {@code hw}: the plans in dispatch order (nodes fused
   * into another layer have none), their totals, the L2 arena and the weight placement.
   */
  public NetworkSchedule schedule(HardwareDescription hw) {
    List<LayerPlan> ordered = new ArrayList<>();
    for (LayerDispatch l : dispatch.layers()) {
      if (!l.fused()) {
        LayerPlan p = plans.get(l.index());
        if (p == null) {
          throw new IllegalStateException("layer " + l.index() + " has no plan");
        }
        ordered.add(p);
      }
    }
    return NetworkSchedule.of(hw, dispatch.graph(), ordered);
  }

  private record Key(int index, String unit, List<Node> fused) {}
}
