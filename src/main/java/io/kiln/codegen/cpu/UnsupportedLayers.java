package io.kiln.codegen.cpu;

import io.kiln.KilnException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the layers the CPU target cannot generate, so that one compile names every missing
 * operator (with its count) in one line instead of stopping at the first.
 */
final class UnsupportedLayers {
  /** One layer the CPU target has no code for; {@code detail} says which variant, if any. */
  static final class Unsupported extends KilnException {
    final String op;
    final int index;
    final String detail;

    Unsupported(String op, int index, String detail) {
      super(detail == null
          ? "the CPU target does not support operator " + index + " (" + op + ")"
          : "the CPU target does not support " + op + " with " + detail + " (operator " + index
              + ")");
      this.op = op;
      this.index = index;
      this.detail = detail;
    }
  }

  private final List<Unsupported> found = new ArrayList<>();

  void add(Unsupported u) {
    found.add(u);
  }

  /** Throws one line naming every unsupported layer, grouped by operator; nothing if none. */
  void throwIfAny() {
    if (found.isEmpty()) {
      return;
    }
    if (found.size() == 1) {
      throw found.get(0);
    }
    Map<String, List<Unsupported>> byKind = new LinkedHashMap<>();
    for (Unsupported u : found) {
      byKind.computeIfAbsent(u.detail == null ? u.op : u.op + " with " + u.detail,
          k -> new ArrayList<>()).add(u);
    }
    List<String> parts = new ArrayList<>();
    byKind.forEach((kind, us) -> parts.add(kind + (us.size() == 1
        ? " (operator " + us.get(0).index + ")"
        : " (" + us.size() + "x, first operator " + us.get(0).index + ")")));
    throw new KilnException("the CPU target does not support " + found.size() + " layers: "
        + String.join(", ", parts));
  }
}
