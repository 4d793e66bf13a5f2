package io.kiln.plan.tiling;

import java.util.Locale;

/** Explains why no tile fits, naming the smallest tile allowed and the memory it overflows. */
final class Infeasibility {
  private Infeasibility() {}

  static TilingResult.Infeasible explain(TileProblem p) {
    int[] smallest = new int[4];
    for (Dim d : Dim.values()) {
      int[] allowed = p.allowedSizes(d);
      if (allowed.length == 0) {
        return new TilingResult.Infeasible("no " + d + " tile size satisfies " + p.constraints());
      }
      smallest[d.ordinal()] = allowed[0];
    }
    Footprint f = Footprint.of(p, smallest);
    LayerShape l = p.layer();
    String tile = "K=" + smallest[0] + (l.depthwise() ? "" : ", C=" + smallest[1]) + ", OY=" + smallest[2]
        + ", OX=" + smallest[3];
    Memories m = p.memories();
    if (m.separateWeights() && f.weightMemoryBytes() > m.weightMemoryBytes()) {
      return new TilingResult.Infeasible(String.format(Locale.ROOT,
          "even the smallest tile (%s) needs %,d B of weights > weight memory %,d B", tile,
          f.weightMemoryBytes(), m.weightMemoryBytes()));
    }
    return new TilingResult.Infeasible(String.format(Locale.ROOT,
        "even the smallest tile (%s) needs %,d B (input %,d + %soutput %,d + %sparameters %,d%s) > L1 %,d B", tile,
        f.l1Bytes(), f.inputBytes(), m.separateWeights() || f.weightBytes() == 0 ? ""
            : String.format(Locale.ROOT, "weights %,d + ", f.weightBytes()),
        f.outputBytes(), f.operandBytes() == 0 ? "" : String.format(Locale.ROOT, "second operand %,d + ",
            f.operandBytes()),
        f.paramBytes(), m.doubleBuffered() ? ", streaming buffers doubled" : "", m.l1Bytes()));
  }
}
