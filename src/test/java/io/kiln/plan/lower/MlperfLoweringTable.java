package io.kiln.plan.lower;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.interp.Tensor;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import io.kiln.plan.dispatch.Policy;
import io.kiln.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Prints the numeric change of lowering for the README's table: each MLPerf model on DIANA per
 * policy, on the 16 rand16 inputs of {@code reference-outputs} (the int8 twin's for the pow2
 * models). Off unless {@code -Dkiln.lowering.table=true}.
 */
class MlperfLoweringTable {

  @Test
  void table() throws IOException {
    assumeTrue(Boolean.getBoolean("kiln.lowering.table"), "set -Dkiln.lowering.table=true");
    StringBuilder sb = new StringBuilder(
        "| model | policy | rewritten | numeric | min SQNR dB | median SQNR dB | outputs |\n"
        + "|---|---|---|---|---|---|---|\n");
    List<String[]> cases = new ArrayList<>();
    for (String m : MlperfModels.INT8) {
      cases.add(new String[] {m, m});
    }
    MlperfModels.POW2.forEach((f, twin) -> cases.add(new String[] {f + ":pow2", twin}));
    MlperfModels.POW2.forEach((f, twin) -> cases.add(new String[] {f + ":pow2t", twin}));
    for (String[] c : cases) {
      Graph g = MlperfModels.load(c[0]);
      List<List<Tensor>> in = rand16(g, c[1]);
      for (String policy : List.of("digital", "analog", "mixed")) {
        boolean ternarize = !policy.equals("digital");
        Lowered l = MlperfLoweringTest.lowered(g, "diana", Policy.named(policy), ternarize);
        LoweringReport r = LoweringReport.of(g, l, in);
        double[] s = r.layers().stream().mapToDouble(LoweringReport.LayerSqnr::sqnrDb).sorted()
            .toArray();
        sb.append(String.format(Locale.ROOT, "| %s | %s%s | %d | %d | %s | %s | %s |%n", c[0],
            policy, ternarize ? " --ternarize" : "", l.rewrites().size(),
            l.rewrites().stream().filter(Lowered.Rewrite::approximate).count(),
            s.length == 0 ? "-" : db(s[0]), s.length == 0 ? "-" : db(s[s.length / 2]),
            r.agreement().summary()));
      }
    }
    System.out.print(sb);
  }

  private static String db(double v) {
    return Double.isInfinite(v) ? "exact" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static List<List<Tensor>> rand16(Graph g, String referenceModel) throws IOException {
    byte[] all = Files.readAllBytes(SharedModels.file("reference-outputs/" + referenceModel
        + "/rand16.in.bin"));
    Value v = g.inputValues().get(0);
    int per = (int) v.type().bytes();
    List<List<Tensor>> out = new ArrayList<>();
    for (int s = 0; s < all.length / per; s++) {
      out.add(List.of(Tensor.fromBytes(v.dtype(), v.shape(),
          Arrays.copyOfRange(all, s * per, (s + 1) * per))));
    }
    return out;
  }
}
