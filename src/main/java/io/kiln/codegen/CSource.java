package io.kiln.codegen;

import io.kiln.ir.DType;
import io.kiln.KilnException;
import java.util.Locale;

/** A small indenting writer for generated C, so emitters read like the code they produce. */
public final class CSource {
  private static final int VALUES_PER_LINE = 16;
  private final StringBuilder sb = new StringBuilder();
  private int indent;

  /** Appends one line at the current indentation, formatted with {@link Locale#ROOT}. */
  public CSource line(String fmt, Object... args) {
    String text = args.length == 0 ? fmt : String.format(Locale.ROOT, fmt, args);
    if (!text.isEmpty()) {
      sb.append("  ".repeat(indent)).append(text);
    }
    sb.append('\n');
    return this;
  }

  public CSource blank() {
    sb.append('\n');
    return this;
  }

  /** A line ending in an opening brace; indents what follows until {@link #close()}. */
  public CSource open(String fmt, Object... args) {
    line(fmt + " {", args);
    indent++;
    return this;
  }

  /** Opens a bare block, for declarations that must not clash with a loop body's. */
  public CSource openBlock() {
    line("{");
    indent++;
    return this;
  }

  public CSource close() {
    indent--;
    return line("}");
  }

  /** A {@code const} array initialiser, {@value #VALUES_PER_LINE} values a line. */
  public CSource array(String declaration, int[] values) {
    line("%s[%d] = {", declaration, values.length);
    for (int i = 0; i < values.length; i += VALUES_PER_LINE) {
      StringBuilder row = new StringBuilder("  ".repeat(indent + 1));
      for (int j = i; j < Math.min(values.length, i + VALUES_PER_LINE); j++) {
        row.append(intLiteral(values[j])).append(j + 1 < values.length ? "," : "");
        if (j + 1 < Math.min(values.length, i + VALUES_PER_LINE)) {
          row.append(' ');
        }
      }
      sb.append(row).append('\n');
    }
    return line("};");
  }

  /** Appends text verbatim (it must end with a newline). */
  public CSource raw(String text) {
    sb.append(text);
    return this;
  }

  @Override
  public String toString() {
    return sb.toString();
  }

  /** A C integer literal; INT32_MIN cannot be written as a negated literal of type int. */
  public static String intLiteral(long v) {
    if (v == Integer.MIN_VALUE) {
      return "INT32_MIN";
    }
    return Long.toString(v);
  }

  /** {@code " + v"}, {@code " - v"} or nothing, to add a constant offset readably. */
  public static String plus(long v) {
    return v == 0 ? "" : v > 0 ? " + " + v : " - " + (-v);
  }

  /** {@code "a * k"}, or just {@code "a"} when k is 1. */
  public static String times(String a, long k) {
    return k == 1 ? a : a + " * " + k;
  }

  /** An exact C99 hexadecimal float literal of a float32 value. */
  public static String floatLiteral(float f) {
    if (Float.isNaN(f) || Float.isInfinite(f)) {
      throw new KilnException("cannot emit non-finite constant " + f);
    }
    return Float.toHexString(f) + "f";
  }

  /** An exact C99 hexadecimal literal of a double value. */
  public static String doubleLiteral(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new KilnException("cannot emit non-finite constant " + d);
    }
    return Double.toHexString(d);
  }

  /** The C element type of a dtype. */
  public static String ctype(DType t) {
    return switch (t) {
      case INT8 -> "int8_t";
      case UINT8, BOOL -> "uint8_t";
      case INT16 -> "int16_t";
      case INT32 -> "int32_t";
      case INT64 -> "int64_t";
      case UINT32 -> "uint32_t";
      case UINT64 -> "uint64_t";
      case FLOAT32 -> "float";
    };
  }

  /** Text safe inside a C block comment and on one line. */
  public static String commentSafe(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    String out = b.toString().replace("*/", "*_/").replace("/*", "/_*");
    return out.length() > 100 ? out.substring(0, 97) + "..." : out;
  }
}
