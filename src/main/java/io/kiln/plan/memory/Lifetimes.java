package io.kiln.plan.memory;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Derives the arena's buffers from a graph in execution order (node i runs at step i), counting
 * what TFLite Micro counts: graph inputs, intermediate results and graph outputs, but not
 * constants, which stay in flash.
 *
 * <p>A value lives from the step that writes it (step 0 for graph inputs) to the last step that
 * reads it; graph outputs live to the last step, so the caller can read them after the run. A
 * value nobody reads still occupies memory during the step that writes it.
 *
 * <p>Aliasing rule: a Reshape's output shares its input's storage (the reshape costs no bytes and
 * no copy) whenever the input is an arena value of the same size. Sharing is sound because IR
 * values are written exactly once, by their producer, and the group is planned as one buffer over
 * the union of its members' lifetimes. The one alias refused is one that would put a graph input
 * and a graph output in the same group (directly or through a chain of reshapes): each graph input
 * and output keeps a buffer of its own, so that the generated API never returns the same pointer
 * for an input and an output and I/O can later move to caller-owned memory without changing the
 * alias groups. That costs one tensor only in a graph whose output is a bare reshape of its input.
 */
public final class Lifetimes {
  private Lifetimes() {}

  public static List<Lifetime> of(Graph g) {
    int[] steps = new int[g.nodes().size()];
    for (int i = 0; i < steps.length; i++) {
      steps[i] = i;
    }
    return of(g, steps, Set.of());
  }

  /**
   * The buffers of {@code g} when node {@code i} runs at step {@code stepOf[i]} (non-decreasing;
   * nodes sharing a step run in one call, as an accelerator runs a convolution with a residual
   * Add fused into its output stage), leaving out the values {@code onChip}: intermediates of such
   * a call that never leave the accelerator's local memory. A call's outputs then start at its
   * step, while every value it reads stays live through it, so no output tile written back can
   * overwrite an input a later tile of the same call still reads.
   */
  public static List<Lifetime> of(Graph g, int[] stepOf, Set<Integer> onChip) {
    if (stepOf.length != g.nodes().size()) {
      throw new IllegalArgumentException(stepOf.length + " steps for " + g.nodes().size() + " nodes");
    }
    for (int i = 1; i < stepOf.length; i++) {
      if (stepOf[i] < stepOf[i - 1]) {
        throw new IllegalArgumentException("node " + i + " runs at step " + stepOf[i] + ", before node " + (i - 1));
      }
    }
    int n = g.values().size();
    int end = stepOf.length == 0 ? 0 : stepOf[stepOf.length - 1];
    int[] first = new int[n];
    int[] last = new int[n];
    java.util.Arrays.fill(first, -1);
    java.util.Arrays.fill(last, -1);
    for (int id : g.inputs()) {
      first[id] = 0;
      last[id] = 0;
    }
    List<Node> nodes = g.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      int step = stepOf[i];
      for (int id : node.inputs()) {
        if (id != Node.ABSENT && !g.value(id).isConstant()) {
          if (first[id] < 0) {
            throw new IllegalArgumentException("value '" + g.value(id).name() + "' is read at step "
                + step + " before anything writes it");
          }
          last[id] = Math.max(last[id], step);
        }
      }
      for (int id : node.outputs()) {
        first[id] = step;
        last[id] = Math.max(last[id], step);
      }
    }
    for (int id : g.outputs()) {
      if (first[id] >= 0) {
        last[id] = end;
      }
    }

    // Alias groups: root value id per value, and whether a group holds a graph input / output.
    int[] root = new int[n];
    for (int i = 0; i < n; i++) {
      root[i] = i;
    }
    Set<Integer> inputs = new HashSet<>(g.inputs());
    Set<Integer> outputs = new HashSet<>(g.outputs());
    boolean[] hasInput = new boolean[n];
    boolean[] hasOutput = new boolean[n];
    for (int i = 0; i < n; i++) {
      hasInput[i] = inputs.contains(i);
      hasOutput[i] = outputs.contains(i);
    }
    int[] aliasOf = new int[n];
    java.util.Arrays.fill(aliasOf, -1);
    for (Node node : nodes) {
      if (!(node.op() instanceof Op.Reshape)) {
        continue;
      }
      Value in = g.input(node, Op.Reshape.INPUT);
      Value out = g.output(node);
      if (in.isConstant() || in.type().bytes() != out.type().bytes()) {
        continue;
      }
      int r = root[in.id()];
      boolean wouldHaveInput = hasInput[r] || hasInput[out.id()];
      boolean wouldHaveOutput = hasOutput[r] || hasOutput[out.id()];
      if (wouldHaveInput && wouldHaveOutput) {
        continue;
      }
      aliasOf[out.id()] = in.id();
      root[out.id()] = r;
      hasInput[r] = wouldHaveInput;
      hasOutput[r] = wouldHaveOutput;
    }

    List<Lifetime> result = new ArrayList<>();
    for (Value v : g.values()) {
      int id = v.id();
      if (v.isConstant() || first[id] < 0 || onChip.contains(id)) {
        continue; // constants live in flash; a value nothing writes or reads is not a buffer
      }
      OptionalInt alias = aliasOf[id] < 0 ? OptionalInt.empty() : OptionalInt.of(aliasOf[id]);
      result.add(new Lifetime(id, v.name(), v.type().bytes(), first[id], last[id], alias));
    }
    return result;
  }
}
