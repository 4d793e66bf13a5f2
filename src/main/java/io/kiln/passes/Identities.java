package io.kiln.passes;

import static io.kiln.passes.Pattern.any;
import static io.kiln.passes.Pattern.op;

import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Rules removing data-movement operators that do nothing or can be merged: reshapes to the same
 * shape, chains of reshapes, identity and mutually inverse transposes, and transposes that only
 * move size-1 dimensions (which are reshapes). All are exact: they only rename memory.
 */
final class Identities {
  private Identities() {}

  static final Rule RESHAPE_IDENTITY = new Rule("reshape-identity",
      op("r", Op.Reshape.class).in(Op.Reshape.INPUT, any("x")),
      (m, e) -> m.value("r").shape().equals(m.value("x").shape())
          ? forward(m.value("r"), m.value("x"), e) : Rule.skip());

  static final Rule RESHAPE_CHAIN = new Rule("reshape-chain",
      op("outer", Op.Reshape.class).in(Op.Reshape.INPUT,
          op("inner", Op.Reshape.class).in(Op.Reshape.INPUT, any("x"))),
      (m, e) -> {
        Value out = m.value("outer");
        if (!sameExceptShape(m.value("x").type(), out.type())) {
          return Rule.reject("the reshapes change quantization or dtype");
        }
        e.replace(out.id(), e.node(m.op("outer", Op.Reshape.class), List.of(m.id("x")),
            out.name(), out.type()));
        return Rule.rewritten();
      });

  static final Rule TRANSPOSE_IDENTITY = new Rule("transpose-identity",
      op("t", Op.Transpose.class).in(Op.Transpose.INPUT, any("x")),
      (m, e) -> isIdentity(m.op("t", Op.Transpose.class).perm())
          ? forward(m.value("t"), m.value("x"), e) : Rule.skip());

  /** Transpose(p2, Transpose(p1, x)) is Transpose(p1∘p2, x), or x when that is the identity. */
  static final Rule TRANSPOSE_PAIR = new Rule("transpose-pair",
      op("outer", Op.Transpose.class).in(Op.Transpose.INPUT,
          op("inner", Op.Transpose.class).in(Op.Transpose.INPUT, any("x"))),
      (m, e) -> {
        List<Integer> p1 = m.op("inner", Op.Transpose.class).perm();
        List<Integer> p2 = m.op("outer", Op.Transpose.class).perm();
        List<Integer> composed = new ArrayList<>();
        for (int i : p2) {
          composed.add(p1.get(i));
        }
        Value out = m.value("outer");
        if (isIdentity(composed)) {
          return forward(out, m.value("x"), e);
        }
        e.replace(out.id(), e.node(new Op.Transpose(composed), List.of(m.id("x")), out.name(),
            out.type()));
        return Rule.rewritten();
      });

  /** A transpose that keeps the order of all dimensions larger than 1 moves no data. */
  static final Rule TRANSPOSE_AS_RESHAPE = new Rule("transpose-as-reshape",
      op("t", Op.Transpose.class).in(Op.Transpose.INPUT, any("x")),
      (m, e) -> {
        List<Integer> perm = m.op("t", Op.Transpose.class).perm();
        Shape in = m.value("x").shape();
        int last = -1;
        for (int axis : perm) {
          if (in.dim(axis) != 1) {
            if (axis < last) {
              return Rule.reject("permutation " + perm + " reorders dimensions of " + in);
            }
            last = axis;
          }
        }
        Value out = m.value("t");
        e.replace(out.id(), e.node(new Op.Reshape(out.shape()), List.of(m.id("x")), out.name(),
            out.type()));
        return Rule.rewritten();
      });

  /** Re-quantizing to the very same type multiplies by exactly 1.0 (2^30 with shift 1). */
  static final Rule QUANTIZE_IDENTITY = new Rule("quantize-identity",
      op("q", Op.Quantize.class).in(Op.Quantize.INPUT, any("x")),
      (m, e) -> m.value("x").dtype().isFloat() ? Rule.skip()
          : forward(m.value("q"), m.value("x"), e));

  static final Rule IDENTITY_OP = new Rule("identity-op",
      op("i", Op.Identity.class).in(Op.Identity.INPUT, any("x")),
      (m, e) -> forward(m.value("i"), m.value("x"), e));

  /** Readers of {@code out} read {@code in} instead, if both have the same type. */
  static Rule.Outcome forward(Value out, Value in, GraphEdit e) {
    if (!out.type().equals(in.type())) {
      return Rule.reject("output " + io.kiln.ir.GraphPrinter.type(out.type())
          + " differs from input " + io.kiln.ir.GraphPrinter.type(in.type()));
    }
    e.replace(out.id(), in.id());
    return Rule.rewritten();
  }

  static boolean sameExceptShape(TensorType a, TensorType b) {
    return a.dtype() == b.dtype() && a.quant().equals(b.quant());
  }

  static boolean isIdentity(List<Integer> perm) {
    for (int i = 0; i < perm.size(); i++) {
      if (perm.get(i) != i) {
        return false;
      }
    }
    return true;
  }
}
