package io.kiln.passes;

import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.NmWeights;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Gives the int8 weights of Conv2D and FullyConnected layers that already follow an N:M pattern
 * (pruned elsewhere, or by {@code kiln prune} and then quantized) the {@link Encoding.NM}
 * encoding, the sparsest of {@link NmWeights#FORMATS} they follow. The data stays as it is; only
 * the type says how the weights may be stored, so a graph without sparse weights comes back as
 * the same instance.
 */
public final class NmRecognition {
  private NmRecognition() {}

  /** The weight slot of a layer whose reduction N:M groups run along, if {@code n} is one. */
  public static Optional<Integer> weightSlot(Graph g, Node n) {
    return switch (n.op()) {
      // Grouped convolutions reduce over part of the input only: no kernel takes them sparse.
      case Op.Conv2D c -> g.input(n, Op.Conv2D.FILTER).shape().dim(3)
          == g.input(n, Op.Conv2D.INPUT).shape().dim(3)
          ? Optional.of(Op.Conv2D.FILTER) : Optional.empty();
      case Op.FullyConnected f -> Optional.of(Op.FullyConnected.WEIGHTS);
      default -> Optional.empty();
    };
  }

  public static Graph apply(Graph g) {
    List<Value> values = new ArrayList<>(g.values());
    boolean changed = false;
    for (Node n : g.nodes()) {
      Optional<Integer> slot = weightSlot(g, n);
      if (slot.isEmpty()) {
        continue;
      }
      Value w = g.input(n, slot.get());
      if (!w.isConstant() || w.dtype() != DType.INT8 || w.shape().rank() < 2
          || !(w.type().encoding() instanceof Encoding.Dense)) {
        continue;
      }
      Optional<Encoding.NM> f = NmWeights.recognize(w.data().asInts(DType.INT8),
          w.shape().dim(0));
      if (f.isPresent()) {
        values.set(w.id(), new Value(w.id(), w.name(), w.type().withEncoding(f.get()),
            w.data()));
        changed = true;
      }
    }
    return changed ? new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs()) : g;
  }
}
