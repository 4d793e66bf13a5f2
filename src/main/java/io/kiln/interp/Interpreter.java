package io.kiln.interp;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference interpreter: executes a {@link Graph} node by node with plain loops that follow
 * TFLite's integer arithmetic exactly; every other execution path is tested against it.
 */
public final class Interpreter {
  private final Graph graph;
  private final List<Kernel> kernels = new ArrayList<>();
  private final Tensor[] constants;

  public Interpreter(Graph graph) {
    this.graph = Verifier.verify(graph);
    this.constants = new Tensor[graph.values().size()];
    for (Value v : graph.values()) {
      if (v.isConstant()) {
        constants[v.id()] = Tensor.fromConstant(v);
      }
    }
    for (Node n : graph.nodes()) {
      kernels.add(Kernels.prepare(graph, n));
    }
  }

  public Graph graph() {
    return graph;
  }

  /**
   * Returns every stateful kernel (a noise estimate, a variable) to its initial state; until
   * then consecutive {@link #run}s continue from the state the previous one left.
   */
  public void reset() {
    for (Kernel k : kernels) {
      if (k instanceof Stateful s) {
        s.reset();
      }
    }
  }

  /** Bytes of state kept between inferences, summed over the stateful kernels. */
  public long stateBytes() {
    long total = 0;
    for (Kernel k : kernels) {
      if (k instanceof Stateful s) {
        total += s.stateBytes();
      }
    }
    return total;
  }

  /**
   * Runs node {@code index} alone on {@code args} (its inputs in order, null for an absent one),
   * for executors that keep the tensors elsewhere (a simulator's memories); state carries over as
   * in {@link #run}.
   */
  public Tensor runNode(int index, Tensor[] args) {
    return kernels.get(index).run(args);
  }

  /** The tensor of constant value {@code id}, or null when it is not a constant. */
  public Tensor constant(int id) {
    return constants[id];
  }

  /** Runs one inference; {@code inputs} follow the graph's input order. */
  public List<Tensor> run(List<Tensor> inputs) {
    Tensor[] env = trace(inputs);
    List<Tensor> outs = new ArrayList<>();
    for (int id : graph.outputs()) {
      outs.add(env[id]);
    }
    return outs;
  }

  /**
   * Runs one inference and returns every value's tensor indexed by value id, to find the first
   * layer where another execution path departs from this one.
   */
  public Tensor[] trace(List<Tensor> inputs) {
    List<Value> ins = graph.inputValues();
    if (inputs.size() != ins.size()) {
      throw new KilnException("model has " + ins.size() + " inputs, got " + inputs.size());
    }
    Tensor[] env = constants.clone();
    for (int i = 0; i < ins.size(); i++) {
      Value v = ins.get(i);
      Tensor t = inputs.get(i);
      if (t.dtype != v.dtype() || !t.shape.equals(v.shape())) {
        throw new KilnException("input " + i + " ('" + v.name() + "') must be "
            + v.dtype().shortName() + v.shape() + ", got " + t.dtype.shortName() + t.shape);
      }
      env[v.id()] = t;
    }
    List<Node> nodes = graph.nodes();
    for (int k = 0; k < nodes.size(); k++) {
      Node n = nodes.get(k);
      Tensor[] args = new Tensor[n.inputs().size()];
      for (int i = 0; i < args.length; i++) {
        int id = n.inputs().get(i);
        args[i] = id == Node.ABSENT ? null : env[id];
      }
      env[n.output()] = kernels.get(k).run(args);
    }
    return env;
  }
}
