package io.kiln.frontend.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.kiln.KilnException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Typed, defaulted access to one ONNX node's attributes, with errors that name the node. */
final class OnnxAttributes {
  private final Map<String, AttributeProto> byName = new HashMap<>();
  private final String where;

  OnnxAttributes(NodeProto node, String where) {
    this.where = where;
    for (AttributeProto a : node.getAttributeList()) {
      byName.put(a.getName(), a);
    }
  }

  boolean has(String name) {
    return byName.containsKey(name);
  }

  long i(String name, long dflt) {
    AttributeProto a = byName.get(name);
    return a == null ? dflt : a.getI();
  }

  int intAttr(String name, int dflt) {
    long v = i(name, dflt);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new KilnException(where + ": attribute " + name + "=" + v + " is out of range");
    }
    return (int) v;
  }

  float f(String name, float dflt) {
    AttributeProto a = byName.get(name);
    return a == null ? dflt : a.getF();
  }

  String s(String name, String dflt) {
    AttributeProto a = byName.get(name);
    return a == null ? dflt : a.getS().toString(StandardCharsets.UTF_8);
  }

  /** An int list attribute, or {@code null} when absent. */
  int[] ints(String name) {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return null;
    }
    List<Long> l = a.getIntsList();
    int[] out = new int[l.size()];
    for (int k = 0; k < out.length; k++) {
      long v = l.get(k);
      // Slice-style attributes use int64 extremes for "to the end"; clamp them into int.
      out[k] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }
    return out;
  }

  float[] floats(String name) {
    AttributeProto a = byName.get(name);
    if (a == null) {
      return null;
    }
    float[] out = new float[a.getFloatsCount()];
    for (int k = 0; k < out.length; k++) {
      out[k] = a.getFloats(k);
    }
    return out;
  }

  TensorProto tensor(String name) {
    AttributeProto a = byName.get(name);
    return a == null || !a.hasT() ? null : a.getT();
  }

  /** Names of all attributes, for rejecting ones an operator mapping does not understand. */
  java.util.Set<String> names() {
    return byName.keySet();
  }
}
