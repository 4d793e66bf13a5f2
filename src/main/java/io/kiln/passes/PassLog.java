package io.kiln.passes;

import java.util.ArrayList;
import java.util.List;

/** What the passes did and why rules did not apply; reports are built from it. */
public final class PassLog {
  /** One rule application or refusal at a node, named by its output value. */
  public record Entry(String pass, String rule, String where, String reason) {
    public boolean applied() {
      return reason == null;
    }

    @Override
    public String toString() {
      return pass + "/" + rule + " at " + where + (applied() ? ": applied" : ": " + reason);
    }
  }

  private final List<Entry> entries = new ArrayList<>();

  void applied(String pass, String rule, String where) {
    entries.add(new Entry(pass, rule, where, null));
  }

  void rejected(String pass, String rule, String where, String reason) {
    entries.add(new Entry(pass, rule, where, reason));
  }

  public List<Entry> entries() {
    return List.copyOf(entries);
  }

  public List<Entry> applied() {
    return entries.stream().filter(Entry::applied).toList();
  }

  public List<Entry> rejected() {
    return entries.stream().filter(e -> !e.applied()).toList();
  }
}
