package io.kiln.plan.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.schedule.Transfer;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.plan.weights.NmTiles;
import io.kiln.testing.SparseLayers;
import io.kiln.testing.TestTargets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The deployment checker knows N:M weight tiles: a sound sparse plan passes, and one whose weight
 * buffer (or blob) is sized as if the tile were smaller is caught by {@code weights-fit-format}.
 */
class SparseWeightCheckTest {

  /** A 3x3 conv of 48 input channels in 1:8, K and C tiled on a sparse diana with a small weight memory. */
  private static DeploymentPlan plan() {
    Graph g = SparseLayers.layer(new Random(5), new Encoding.NM(1, 8), 8, 8, 48, 40, 3);
    var hw = TestTargets.withBudgets(SparseLayers.diana(), 8192, 400);
    DeploymentPlan p = Planner.plan(g, hw, new Planner.Options(Policy.named("digital"), false, SolverKind.BNB)).plan();
    assertThat(p.calls()).hasSize(1);
    assertThat(p.calls().get(0).blobLayout().orElseThrow().weights()).isInstanceOf(NmTiles.class);
    return p;
  }

  /** {@code p} with every weight buffer and every job's weight region {@code shrink} bytes smaller. */
  private static DeploymentPlan shrunk(DeploymentPlan p, long shrink) {
    Step.AcceleratorCall c = p.calls().get(0);
    List<Step.Buffer> buffers = new ArrayList<>();
    for (Step.Buffer b : c.buffers()) {
      buffers.add(b.role() != Transfer.Kind.WEIGHTS ? b : new Step.Buffer(b.role(), b.copy(),
          new Region(b.region().memory(), b.region().offset(), b.region().bytes() - shrink)));
    }
    List<TileJob> jobs = new ArrayList<>();
    for (TileJob j : c.jobs()) {
      Optional<Region> w = j.weights().map(r -> new Region(r.memory(), r.offset(), r.bytes() - shrink));
      jobs.add(new TileJob(j.tile(), j.k(), j.c(), j.y(), j.x(), j.inRows(), j.inCols(), j.input(), w, j.params(),
          j.output(), j.operand(), j.firstC(), j.lastC()));
    }
    Step.AcceleratorCall bad = new Step.AcceleratorCall(c.node(), c.fused(), c.unit(), c.geometry(), c.tiling(),
        c.input(), c.output(), c.operand(), c.blob(), c.blobLayout(), buffers, jobs, c.program());
    List<Step> steps = new ArrayList<>(p.steps());
    steps.set(steps.indexOf(c), bad);
    return new DeploymentPlan(p.hardware(), p.graph(), p.dispatch(), steps, p.arena(), p.values(), p.blobs());
  }

  @Test
  void aSoundSparsePlanPasses() {
    DeploymentPlan p = plan();
    assertThat(p.calls().get(0).tiling().tilesK()).isGreaterThan(1);
    assertThat(p.calls().get(0).tiling().tilesC()).isGreaterThan(1);
    assertThat(DeploymentChecker.check(p)).isEmpty();
  }

  @Test
  void aWeightBufferSizedForFewerOffsetsIsCaught() {
    // One byte short: room for the values but not for the last of their packed offsets.
    List<String> errors = DeploymentChecker.check(shrunk(plan(), 1));
    assertThat(errors).anyMatch(e -> e.startsWith("weights-fit-format: node 0 (1:8, 4-bit offsets)")
        && e.contains("values and their offsets take"));
    assertThat(errors).anyMatch(e -> e.startsWith("weights-fit-format:") && e.contains("largest tile takes"));
  }

  @Test
  void aBlobOfTheWrongSizeIsCaught() {
    DeploymentPlan p = plan();
    Step.AcceleratorCall c = p.calls().get(0);
    Region blob = c.blob().orElseThrow();
    Step.AcceleratorCall bad = new Step.AcceleratorCall(c.node(), c.fused(), c.unit(), c.geometry(), c.tiling(),
        c.input(), c.output(), c.operand(), Optional.of(new Region(blob.memory(), blob.offset(), blob.bytes() - 16)),
        c.blobLayout(), c.buffers(), c.jobs(), c.program());
    List<Step> steps = new ArrayList<>(p.steps());
    steps.set(steps.indexOf(c), bad);
    DeploymentPlan q = new DeploymentPlan(p.hardware(), p.graph(), p.dispatch(), steps, p.arena(), p.values(),
        p.blobs());
    assertThat(DeploymentChecker.check(q)).anyMatch(e -> e.startsWith("weights-fit-format:")
        && e.contains("but its layout takes"));
  }
}
