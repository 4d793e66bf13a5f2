package io.kiln.plan.memory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a plan against its lifetimes without sharing code with the planners: every buffer has an
 * aligned offset inside the arena, aliases sit at their target's offset, and no two buffers whose
 * (alias-merged) lifetimes intersect share a byte.
 */
public final class PlanChecker {
  private PlanChecker() {}

  /** Every violation found, one sentence each; empty when the plan is valid. */
  public static List<String> check(List<Lifetime> lifetimes, MemoryPlan plan, int alignment) {
    List<String> errors = new ArrayList<>();
    Map<Integer, Lifetime> byId = new HashMap<>();
    for (Lifetime l : lifetimes) {
      byId.put(l.id(), l);
    }
    // Alias groups, found by walking each chain to its root; a group's data must survive from its
    // first writer to its last reader, so conflicts are judged on the union of its members.
    Map<Integer, Integer> root = new HashMap<>();
    Map<Integer, int[]> span = new HashMap<>();
    for (Lifetime l : lifetimes) {
      Lifetime r = l;
      int hops = 0;
      while (r.aliasOf().isPresent() && hops++ <= lifetimes.size()) {
        r = byId.get(r.aliasOf().getAsInt());
        if (r == null) {
          errors.add("'" + l.name() + "' aliases a buffer that is not in the list");
          return errors;
        }
      }
      root.put(l.id(), r.id());
      span.merge(r.id(), new int[] {l.firstStep(), l.lastStep()},
          (a, b) -> new int[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
    }
    for (Lifetime l : lifetimes) {
      Long off = plan.offsets().get(l.id());
      if (off == null) {
        errors.add("'" + l.name() + "' has no offset");
        continue;
      }
      if (off < 0 || off % alignment != 0) {
        errors.add("'" + l.name() + "' at offset " + off + " is not aligned to " + alignment);
      }
      if (l.bytes() > 0 && off + l.bytes() > plan.arenaBytes()) {
        errors.add("'" + l.name() + "' ends at " + (off + l.bytes()) + ", past the arena ("
            + plan.arenaBytes() + " bytes)");
      }
      Long rootOff = plan.offsets().get(root.get(l.id()));
      if (l.aliasOf().isPresent() && !off.equals(rootOff)) {
        errors.add("'" + l.name() + "' aliases a buffer at " + rootOff + " but sits at " + off);
      }
    }
    if (!errors.isEmpty()) {
      return errors;
    }
    for (int i = 0; i < lifetimes.size(); i++) {
      for (int j = i + 1; j < lifetimes.size(); j++) {
        Lifetime a = lifetimes.get(i);
        Lifetime b = lifetimes.get(j);
        if (root.get(a.id()).equals(root.get(b.id())) || a.bytes() == 0 || b.bytes() == 0) {
          continue;
        }
        int[] sa = span.get(root.get(a.id()));
        int[] sb = span.get(root.get(b.id()));
        boolean together = sa[0] <= sb[1] && sb[0] <= sa[1];
        long oa = plan.offsets().get(a.id());
        long ob = plan.offsets().get(b.id());
        boolean shareBytes = oa < ob + b.bytes() && ob < oa + a.bytes();
        if (together && shareBytes) {
          errors.add("'" + a.name() + "' [" + oa + ", " + (oa + a.bytes()) + ") and '" + b.name()
              + "' [" + ob + ", " + (ob + b.bytes()) + ") overlap while both are live");
        }
      }
    }
    return errors;
  }
}
