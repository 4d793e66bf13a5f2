package io.kiln.frontend.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.kiln.KilnException;
import io.kiln.ir.Node;
import io.kiln.ir.TensorType;

/** One ONNX node being converted: its inputs as Kiln values, its attributes and its outputs. */
final class OnnxNode {
  final ImportContext ctx;
  final NodeProto proto;
  final String where;
  final OnnxAttributes attrs;

  OnnxNode(ImportContext ctx, NodeProto proto, String where) {
    this.ctx = ctx;
    this.proto = proto;
    this.where = where;
    this.attrs = new OnnxAttributes(proto, where);
  }

  int inputCount() {
    return proto.getInputCount();
  }

  boolean has(int slot) {
    return slot < proto.getInputCount() && !proto.getInput(slot).isEmpty();
  }

  /** A required input. */
  int in(int slot) {
    if (!has(slot)) {
      throw fail("missing required input " + slot);
    }
    return ctx.id(proto.getInput(slot), where);
  }

  /** An optional input, or {@link Node#ABSENT}. */
  int opt(int slot) {
    return has(slot) ? ctx.id(proto.getInput(slot), where) : Node.ABSENT;
  }

  TensorType type(int id) {
    return ctx.type(id);
  }

  String inName(int slot) {
    return proto.getInput(slot);
  }

  String out(int slot) {
    if (slot >= proto.getOutputCount()) {
      throw fail("missing output " + slot);
    }
    return proto.getOutput(slot);
  }

  /** Names an intermediate value after this node's first output. */
  String derived(String what) {
    return ctx.derived(out(0), what);
  }

  void bind(int slot, int id) {
    ctx.bind(out(slot), id);
  }

  /** Integer values of a constant input (shapes, axes, pads). */
  long[] longs(int slot, String what) {
    return ctx.constLongs(in(slot), what + " (input " + slot + " '" + inName(slot) + "')", where);
  }

  /** Values of a constant input of any integer type (zero points). */
  long[] intValues(int slot, String what) {
    int id = in(slot);
    io.kiln.ir.ConstData d = ctx.requireConstant(id, what + " (input " + slot + " '"
        + inName(slot) + "')", where);
    io.kiln.ir.DType dt = ctx.type(id).dtype();
    if (!dt.isInteger()) {
      throw fail(what + " must be an integer tensor, not " + dt.shortName());
    }
    return d.asLongs(dt);
  }

  /** Real values of a constant input (bounds, scales). */
  float[] floats(int slot, String what) {
    return ctx.constFloats(in(slot), what + " (input " + slot + " '" + inName(slot) + "')",
        where);
  }

  /** Extra outputs (for example BatchNormalization's running statistics) are not supported. */
  void singleOutput() {
    for (int i = 1; i < proto.getOutputCount(); i++) {
      if (!proto.getOutput(i).isEmpty()) {
        throw fail("optional output " + i + " ('" + proto.getOutput(i) + "') is not supported");
      }
    }
  }

  KilnException fail(String why) {
    return new KilnException(where + ": " + why);
  }
}
