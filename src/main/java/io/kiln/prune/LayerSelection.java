package io.kiln.prune;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.passes.NmRecognition;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which layers {@code kiln prune --layers} prunes: the classes {@code conv} (every Conv2D),
 * {@code conv3x3} (Conv2D with a spatial kernel, pointwise left out), {@code pointwise} (1×1
 * Conv2D), {@code fc} and {@code all}, or layers named by their output value, comma-separated.
 * Only layers whose reduction the sparse kernels take are prunable (not depthwise, not grouped).
 */
public final class LayerSelection {
  /** The class names, in the order the help text gives them. */
  public static final List<String> CLASSES = List.of("conv", "conv3x3", "pointwise", "fc", "all");

  private final Set<String> classes;
  private final Set<String> names;

  private LayerSelection(Set<String> classes, Set<String> names) {
    this.classes = classes;
    this.names = names;
  }

  /** Parses {@code spec}; names are checked against a graph by {@link #select}. */
  public static LayerSelection parse(String spec) {
    Set<String> classes = new LinkedHashSet<>();
    Set<String> names = new LinkedHashSet<>();
    for (String part : spec.split(",", -1)) {
      String p = part.strip();
      if (p.isEmpty()) {
        throw new KilnException("--layers '" + spec + "' has an empty entry");
      }
      if (CLASSES.contains(p.toLowerCase(Locale.ROOT))) {
        classes.add(p.toLowerCase(Locale.ROOT));
      } else {
        names.add(p);
      }
    }
    return new LayerSelection(classes, names);
  }

  /** The prunable layers of {@code g} this selection takes, in graph order. */
  public List<Node> select(Graph g) {
    List<Node> prunable = new ArrayList<>();
    Set<String> prunableNames = new LinkedHashSet<>();
    for (Node n : g.nodes()) {
      if (NmRecognition.weightSlot(g, n).isPresent()
          && g.input(n, NmRecognition.weightSlot(g, n).get()).isConstant()) {
        prunable.add(n);
        prunableNames.add(g.output(n).name());
      }
    }
    if (prunable.isEmpty()) {
      throw new KilnException("model " + g.name() + " has no prunable layer (Conv2D or"
          + " FullyConnected with constant weights)");
    }
    for (String name : names) {
      if (!prunableNames.contains(name)) {
        boolean exists = g.nodes().stream().anyMatch(n -> g.output(n).name().equals(name));
        throw new KilnException("--layers: " + (exists ? "layer '" + name + "' is not prunable"
            + " (only Conv2D and FullyConnected layers are)" : "no layer named '" + name + "'")
            + "; prunable layers: " + String.join(", ", prunableNames));
      }
    }
    List<Node> chosen = new ArrayList<>();
    for (Node n : prunable) {
      if (names.contains(g.output(n).name()) || classes.stream().anyMatch(c -> in(c, g, n))) {
        chosen.add(n);
      }
    }
    if (chosen.isEmpty()) {
      throw new KilnException("--layers " + String.join(",", classes) + " selects no layer of "
          + g.name() + "; prunable layers: " + String.join(", ", prunableNames));
    }
    return chosen;
  }

  private static boolean in(String cls, Graph g, Node n) {
    boolean conv = n.op() instanceof Op.Conv2D;
    boolean pointwise = conv && g.input(n, Op.Conv2D.FILTER).shape().dim(1) == 1
        && g.input(n, Op.Conv2D.FILTER).shape().dim(2) == 1;
    return switch (cls) {
      case "conv" -> conv;
      case "conv3x3" -> conv && !pointwise;
      case "pointwise" -> pointwise;
      case "fc" -> n.op() instanceof Op.FullyConnected;
      case "all" -> true;
      default -> throw new IllegalArgumentException(cls);
    };
  }
}
