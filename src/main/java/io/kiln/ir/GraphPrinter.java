package io.kiln.ir;

import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Locale;

/**
 * The one canonical, deterministic text form of a {@link Graph}, used by golden tests and
 * {@code kiln opt --print-after-all}. Constants print as a content fingerprint, not their data.
 *
 * <pre>
 * graph NAME
 *   input  %0 "x" : i8[1,49,10,1] q(0.5847029, 83)
 *   const  %1 "w" : i8[64,10,4,1] q(axis=0, scales=64, crc=1a2b3c4d) data(crc32=9f8e7d6c)
 *   %3 = Conv2D(%0, %1, %2) {strideH=2, ...} : i8[1,25,5,64] q(0.1, -128)
 *   output %3
 * </pre>
 */
public final class GraphPrinter {
  private GraphPrinter() {}

  public static String print(Graph g) {
    StringBuilder sb = new StringBuilder();
    sb.append("graph ").append(g.name()).append('\n');
    for (int id : g.inputs()) {
      Value v = g.value(id);
      sb.append("  input  %").append(id).append(' ').append(quote(v.name())).append(" : ")
          .append(type(v.type())).append('\n');
    }
    for (Value v : g.values()) {
      if (v.isConstant()) {
        sb.append("  const  %").append(v.id()).append(' ').append(quote(v.name())).append(" : ")
            .append(type(v.type())).append(" data(crc32=").append(v.data().fingerprint())
            .append(")\n");
      }
    }
    for (Node n : g.nodes()) {
      sb.append("  ");
      for (int i = 0; i < n.outputs().size(); i++) {
        sb.append(i > 0 ? ", " : "").append('%').append(n.outputs().get(i));
      }
      sb.append(" = ").append(n.op().opName()).append('(');
      for (int i = 0; i < n.inputs().size(); i++) {
        int in = n.inputs().get(i);
        sb.append(i > 0 ? ", " : "").append(in == Node.ABSENT ? "_" : "%" + in);
      }
      sb.append(')');
      String attrs = attributes(n.op());
      if (!attrs.isEmpty()) {
        sb.append(" {").append(attrs).append('}');
      }
      sb.append(" : ");
      for (int i = 0; i < n.outputs().size(); i++) {
        Value out = g.value(n.outputs().get(i));
        sb.append(i > 0 ? ", " : "").append(type(out.type())).append(' ')
            .append(quote(out.name()));
      }
      sb.append('\n');
    }
    for (int id : g.outputs()) {
      sb.append("  output %").append(id).append('\n');
    }
    return sb.toString();
  }

  /** {@code i8[1,2,3] q(0.5, -1)}; an encoding other than dense follows: {@code enc(ternary)}. */
  public static String type(TensorType t) {
    return t.dtype().shortName() + t.shape() + quant(t.quant())
        + (t.encoding() instanceof Encoding.Dense ? "" : " enc(" + t.encoding() + ")");
  }

  static String quant(Quantization q) {
    return switch (q) {
      case Quantization.None n -> "";
      case Quantization.PerTensor p -> " q(" + num(p.scale()) + ", " + p.zeroPoint() + ")";
      case Quantization.PerAxis p -> {
        StringBuilder sb = new StringBuilder(" q(axis=").append(p.axis()).append(", scales=[");
        float[] s = p.scales();
        long[] z = p.zeroPoints();
        boolean zeroZps = true;
        for (int i = 0; i < s.length; i++) {
          sb.append(i > 0 ? " " : "").append(num(s[i]));
          zeroZps &= z[i] == 0;
        }
        sb.append(']');
        if (!zeroZps) {
          sb.append(", zps=").append(java.util.Arrays.toString(z).replace(",", ""));
        }
        yield sb.append(')').toString();
      }
    };
  }

  /**
   * Attributes of a record operator, in declaration order: {@code name=value, ...}. TFLite's
   * output stage, which every imported operator has, is left out, so a lowered operator's
   * differs visibly and every other graph prints as it did before the attribute existed.
   */
  static String attributes(Op op) {
    StringBuilder sb = new StringBuilder();
    for (RecordComponent c : op.getClass().getRecordComponents()) {
      Object v;
      try {
        v = c.getAccessor().invoke(op);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
      if (v instanceof Requant.FixedPoint) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(c.getName()).append('=').append(attr(v));
    }
    return sb.toString();
  }

  private static String attr(Object v) {
    return switch (v) {
      case Float f -> num(f);
      case Op.Pads p -> "[" + p.top() + "," + p.left() + "," + p.bottom() + "," + p.right() + "]";
      case List<?> l -> l.toString().replace(" ", "");
      // An operator's own state (a TFLite variable tensor) prints as the IR prints types.
      case TensorType t -> type(t);
      default -> String.valueOf(v);
    };
  }

  private static String num(float f) {
    return Float.toString(f).toLowerCase(Locale.ROOT);
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
