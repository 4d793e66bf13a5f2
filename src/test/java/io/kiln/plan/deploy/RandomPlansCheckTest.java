package io.kiln.plan.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.plan.schedule.Transfer;
import io.kiln.testing.RandomLayers;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random layers (geometries × L1 sizes) planned on the dla preset pass every check of the
 * independent checker, and each check catches the breakage it names.
 */
class RandomPlansCheckTest {
  static final int CASES = 1000;

  private static Planner.Planned random(Random r) {
    return RandomLayers.plan(r);
  }

  @Test
  void randomPlansPassEveryCheck() {
    Random r = new Random(20261201);
    int calls = 0;
    int tiled = 0;
    for (int i = 0; i < CASES; i++) {
      Planner.Planned planned = random(r);
      List<String> errors = DeploymentChecker.check(planned.plan());
      assertThat(errors).as("case %d", i).isEmpty();
      for (Step.AcceleratorCall call : planned.plan().calls()) {
        calls++;
        tiled += call.jobs().size() > 1 ? 1 : 0;
      }
    }
    // The sweep must exercise tiling, not only single-tile calls.
    assertThat(calls).isGreaterThan(CASES);
    assertThat(tiled).isGreaterThan(CASES / 4);
  }

  /** The first call of a random plan with several tiles. */
  private static Planner.Planned tiledPlan() {
    Random r = new Random(7);
    while (true) {
      Planner.Planned p = random(r);
      if (p.plan().calls().stream().anyMatch(c -> c.jobs().size() > 2 && c.blob().isPresent())) {
        return p;
      }
    }
  }

  private static DeploymentPlan withProgram(DeploymentPlan plan, java.util.function.UnaryOperator<List<Action>> f) {
    List<Step> steps = new ArrayList<>();
    boolean done = false;
    for (Step s : plan.steps()) {
      if (!done && s instanceof Step.AcceleratorCall c && c.jobs().size() > 2 && c.blob().isPresent()) {
        s = new Step.AcceleratorCall(c.node(), c.fused(), c.unit(), c.geometry(), c.tiling(), c.input(), c.output(),
            c.operand(), c.blob(), c.blobLayout(), c.buffers(), c.jobs(), f.apply(new ArrayList<>(c.program())));
        done = true;
      }
      steps.add(s);
    }
    return new DeploymentPlan(plan.hardware(), plan.graph(), plan.dispatch(), steps, plan.arena(), plan.values(),
        plan.blobs());
  }

  @Test
  void aWriteBackMovedPastTheArenaIsCaught() {
    DeploymentPlan plan = withProgram(tiledPlan().plan(), prog -> {
      for (int i = 0; i < prog.size(); i++) {
        if (prog.get(i) instanceof Action.Start s && s.dma().kind() == Transfer.Kind.OUTPUT) {
          DmaDescriptor d = s.dma();
          prog.set(i, new Action.Start(new DmaDescriptor(d.id(), d.kind(), d.tile(), d.engine(), d.src(), d.srcAddr(),
              d.dst(), d.dstAddr() + 1, d.run(), d.rows(), d.planes(), d.srcRowStride(), d.srcPlaneStride(),
              d.dstRowStride(), d.dstPlaneStride())));
          break;
        }
      }
      return prog;
    });
    assertThat(DeploymentChecker.check(plan)).anyMatch(e -> e.startsWith("tiles-cover-output-once"));
  }

  @Test
  void aMissingWaitIsCaught() {
    DeploymentPlan plan = withProgram(tiledPlan().plan(), prog -> {
      prog.removeIf(a -> a instanceof Action.Wait);
      return prog;
    });
    assertThat(DeploymentChecker.check(plan)).anyMatch(e -> e.startsWith("buffers-read-before-overwrite"));
  }

  @Test
  void aJobRunBeforeItsLoadIsCaught() {
    DeploymentPlan plan = withProgram(tiledPlan().plan(), prog -> {
      int run = -1;
      for (int i = 0; i < prog.size(); i++) {
        if (prog.get(i) instanceof Action.Run) {
          run = i;
          break;
        }
      }
      Action a = prog.remove(run);
      prog.add(0, a);
      return prog;
    });
    assertThat(DeploymentChecker.check(plan)).anyMatch(e -> e.startsWith("buffers-read-before-overwrite"));
  }

  @Test
  void aBlobOverTheArenaIsCaught() {
    DeploymentPlan p = tiledPlan().plan();
    java.util.Map<Integer, Region> blobs = new java.util.HashMap<>();
    p.blobs().forEach((n, r) -> blobs.put(n, new Region(r.memory(), 0, r.bytes())));
    DeploymentPlan bad = new DeploymentPlan(p.hardware(), p.graph(), p.dispatch(), p.steps(), p.arena(), p.values(),
        blobs);
    assertThat(DeploymentChecker.check(bad)).anyMatch(e -> e.startsWith("blobs-clear-of-arena"));
  }
}
