package io.kiln.passes;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Constant folding: a node whose inputs are all constants becomes a constant, computed by the
 * reference interpreter's own kernel so the folded value is exactly what the node would produce.
 */
final class ConstantFolding {
  /** Folding may not turn small constants into a large one (a Pad or broadcast of a scalar). */
  static final long MAX_GROWTH_BYTES = 64 * 1024;

  private ConstantFolding() {}

  /** Folds any operator except Dequantize, which Q/DQ elimination needs to see on weights. */
  static final Rule FOLD = new Rule("fold-constant", Pattern.op("node"),
      (m, e) -> m.node("node").op() instanceof Op.Dequantize ? Rule.skip() : fold(m, e));

  /** Folds Dequantize of a constant: float weights for graphs that stay float. */
  static final Rule FOLD_DEQUANTIZE = new Rule("fold-dequantize",
      Pattern.op("node", Op.Dequantize.class).in(Op.Dequantize.INPUT, Pattern.constant("q")),
      ConstantFolding::fold);

  /** A shape's dimensions are static, so SHAPE of a computed value is a constant too. */
  static final Rule FOLD_SHAPE = new Rule("fold-shape", Pattern.op("node", Op.ShapeOf.class),
      (m, e) -> {
        Graph g = m.graph();
        Node n = m.node("node");
        Value out = g.output(n);
        int[] dims = g.input(n, Op.ShapeOf.INPUT).shape().dims();
        long[] wide = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
          wide[i] = dims[i];
        }
        ConstData data = out.dtype() == io.kiln.ir.DType.INT64 ? ConstData.ofLongs(wide)
            : ConstData.ofInts(io.kiln.ir.DType.INT32, dims);
        e.replace(out.id(), e.constant(out.name(), out.type(), data));
        return Rule.rewritten();
      });

  private static Rule.Outcome fold(Match m, GraphEdit e) {
    Graph g = m.graph();
    Node n = m.node("node");
    if (io.kiln.ir.OpState.stateful(g, n)) {
      // Its output depends on the invocations before, not on its inputs alone.
      return Rule.reject("it keeps state from one invocation to the next");
    }
    long inBytes = 0;
    for (int in : n.inputs()) {
      if (in != Node.ABSENT) {
        if (!g.value(in).isConstant()) {
          return Rule.skip();
        }
        inBytes += g.value(in).type().bytes();
      }
    }
    Value out = g.output(n);
    long outBytes = out.type().bytes();
    if (outBytes > inBytes && outBytes > MAX_GROWTH_BYTES) {
      return Rule.reject("would materialize " + outBytes + " bytes from " + inBytes
          + " bytes of constants");
    }
    Tensor result;
    try {
      result = evaluate(g, n);
    } catch (KilnException ex) {
      return Rule.reject("the interpreter cannot evaluate it: " + ex.getMessage());
    }
    int c = e.constant(out.name(), out.type(), ConstData.ofBytes(result.toBytes()));
    e.replace(out.id(), c);
    return Rule.rewritten();
  }

  /** Runs {@code n} alone in a graph whose inputs are its constant inputs. */
  private static Tensor evaluate(Graph g, Node n) {
    List<Value> values = new ArrayList<>();
    List<Integer> ins = new ArrayList<>();
    for (int in : n.inputs()) {
      if (in == Node.ABSENT) {
        ins.add(Node.ABSENT);
      } else {
        Value v = g.value(in);
        ins.add(values.size());
        values.add(new Value(values.size(), v.name(), v.type(), v.data()));
      }
    }
    Value out = g.output(n);
    int outId = values.size();
    values.add(new Value(outId, out.name(), out.type(), null));
    Graph single = new Graph("fold", values, List.of(new Node(n.op(), ins, List.of(outId))),
        List.of(), List.of(outId));
    return new Interpreter(single).run(List.of()).get(0);
  }
}
