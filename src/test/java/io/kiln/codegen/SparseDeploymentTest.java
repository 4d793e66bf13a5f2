package io.kiln.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.interp.Tensor;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.plan.deploy.DeploymentChecker;
import io.kiln.plan.deploy.Planner;
import io.kiln.plan.deploy.Step;
import io.kiln.plan.dispatch.Policy;
import io.kiln.plan.tiling.SolverKind;
import io.kiln.plan.weights.NmTiles;
import io.kiln.sim.Simulation;
import io.kiln.sim.Simulator;
import io.kiln.target.HardwareDescription;
import io.kiln.testing.SparseLayers;
import io.kiln.testing.TestTargets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * N:M pruned layers on DIANA's digital unit with sparse support switched on: seeded random conv
 * and fully-connected layers in 1:4, 1:8 and 1:16 (C a multiple of M or not, budgets cut so that K
 * and C are tiled) plan with values-and-offsets weight tiles, pass the deployment checker, and
 * their generated program (gcc -Werror, ASan/UBSan) and the simulator's job model both give what
 * the interpreter gives on the lowered graph, byte for byte.
 */
class SparseDeploymentTest {
  private static final Encoding.NM[] FORMATS = {new Encoding.NM(1, 4), new Encoding.NM(1, 8), new Encoding.NM(1, 16)};

  /** One seeded case: the graph and the plan on a sparse diana with cut budgets. */
  record Case(int seed, Graph graph, Planner.Planned planned) {
    Step.AcceleratorCall call() {
      return planned.plan().calls().get(0);
    }
  }

  static Case random(int seed) {
    Random r = new Random(seed);
    Encoding.NM nm = FORMATS[seed % 3];
    boolean fc = seed % 4 == 3;
    // Every other case has C a multiple of M (C may be tiled), the rest not (C stays whole).
    int c = seed % 2 == 0 ? nm.m() * (1 + r.nextInt(4)) : nm.m() * r.nextInt(3) + 1 + r.nextInt(nm.m() - 1);
    int k = 8 + r.nextInt(48);
    int f = fc ? 1 : 1 + 2 * r.nextInt(2);
    int h = fc ? 0 : 4 + r.nextInt(8);
    Graph g = SparseLayers.layer(r, nm, h, h == 0 ? 0 : 3 + r.nextInt(8), fc ? c * 4 : c, k, f);
    // Weight memory for a few channels of the tile, L1 for a few rows: K (and C) get cut.
    long weights = 64 + r.nextInt(512);
    long l1 = 2048 + r.nextInt(4096);
    HardwareDescription hw = TestTargets.withBudgets(SparseLayers.diana(), l1, weights);
    return new Case(seed, g, Planner.plan(g, hw, new Planner.Options(Policy.named("digital"), false, SolverKind.BNB)));
  }

  @Test
  void randomSparseTiledLayersRunBitExactOnTheHostHalAndTheSimulator(@TempDir Path dir) throws Exception {
    NativeBuild.assumeGcc();
    int kTiled = 0;
    int cTiled = 0;
    int ragged = 0;
    int built = 0;
    for (int seed = 0; seed < 40 && built < 10; seed++) {
      Case cs = random(seed);
      if (cs.planned().plan().calls().isEmpty()) {
        continue; // nothing fit the cut budgets: the CPU's sparse kernel runs it, tested elsewhere
      }
      Step.AcceleratorCall call = cs.call();
      assertThat(call.blobLayout().orElseThrow().weights()).as("seed %d", seed).isInstanceOf(NmTiles.class);
      assertThat(DeploymentChecker.check(cs.planned().plan())).as("seed %d", seed).isEmpty();
      kTiled += call.tiling().tilesK() > 1 ? 1 : 0;
      cTiled += call.tiling().tilesC() > 1 ? 1 : 0;
      NmTiles nm = (NmTiles) call.blobLayout().get().weights();
      ragged += call.geometry().shape().c() % nm.format().m() != 0 ? 1 : 0;
      Path d = Files.createDirectories(dir.resolve("case" + seed));
      for (Map.Entry<String, String> f : DeploymentCodegen.emit(cs.planned().plan()).entrySet()) {
        Files.writeString(d.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
      }
      Path host = NativeBuild.compile(d, NativeBuild.SANITIZE, "kiln_host", DeploymentCodegenTest.SOURCES);
      Graph lowered = cs.planned().plan().graph();
      byte[] in = new byte[(int) lowered.inputValues().get(0).type().bytes() * 2];
      new Random(seed).nextBytes(in);
      byte[] expected = DeploymentCodegenTest.interpret(lowered, in);
      assertThat(NativeBuild.run(host, List.of(in), 2, 1).get(0)).as("seed %d %s", seed, call.tiling())
          .isEqualTo(expected);
      var v = lowered.inputValues().get(0);
      Tensor x = Tensor.fromBytes(v.dtype(), v.shape(), Arrays.copyOf(in, (int) v.type().bytes()));
      Simulation s = Simulator.simulate(cs.planned().plan(), cs.planned().costs(),
          Simulator.CpuTiming.of(cs.planned().costs()), new ArrayList<>(List.of(x)), true, "digital");
      assertThat(s.check().orElseThrow().firstMismatch()).as("seed %d", seed).isEmpty();
      built++;
    }
    assertThat(built).isEqualTo(10);
    assertThat(kTiled).isPositive();
    assertThat(cTiled).isPositive();
    assertThat(ragged).isPositive();
  }
}
