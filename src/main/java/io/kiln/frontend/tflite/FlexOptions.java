package io.kiln.frontend.tflite;

import io.kiln.KilnException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The options of a TFLite custom operator: a FlexBuffers map (the schemaless format of the
 * FlatBuffers project) read into plain Java values. Scalars become {@code Long}, {@code Double},
 * {@code Boolean} or {@code String}; typed and untyped vectors of numbers become {@code long[]}
 * or {@code double[]}. Every offset is checked against the buffer, so a damaged buffer is a
 * {@link KilnException}, never an out-of-bounds read.
 */
public final class FlexOptions {
  // FlexBuffers value types (the format's fixed numbering).
  private static final int NULL = 0;
  private static final int INT = 1;
  private static final int UINT = 2;
  private static final int FLOAT = 3;
  private static final int KEY = 4;
  private static final int STRING = 5;
  private static final int INDIRECT_INT = 6;
  private static final int INDIRECT_UINT = 7;
  private static final int INDIRECT_FLOAT = 8;
  private static final int MAP = 9;
  private static final int VECTOR = 10;
  private static final int VECTOR_INT = 11;
  private static final int VECTOR_UINT = 12;
  private static final int VECTOR_FLOAT = 13;
  private static final int VECTOR_KEY = 14;
  private static final int VECTOR_INT2 = 16;
  private static final int VECTOR_FLOAT4 = 24;
  private static final int BLOB = 25;
  private static final int BOOL = 26;
  private static final int VECTOR_BOOL = 36;

  private final Map<String, Object> values;
  private final String where;

  private FlexOptions(Map<String, Object> values, String where) {
    this.values = Collections.unmodifiableMap(values);
    this.where = where;
  }

  /** Parses {@code bytes}, whose root must be a map; {@code where} names the operator in errors. */
  public static FlexOptions parse(byte[] bytes, String where) {
    if (bytes.length == 0) {
      return new FlexOptions(new LinkedHashMap<>(), where);
    }
    return new FlexOptions(new Reader(bytes, where).rootMap(), where);
  }

  /** Every key and its value, in the buffer's (sorted) key order. */
  public Map<String, Object> values() {
    return values;
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  /** An integer option (a bool counts as 0/1); a missing one is an error. */
  public long integer(String key) {
    Object v = values.get(key);
    if (v instanceof Long l) {
      return l;
    }
    if (v instanceof Boolean b) {
      return b ? 1 : 0;
    }
    throw new KilnException(where + ": custom option '" + key + "' "
        + (v == null ? "is missing" : "is " + v.getClass().getSimpleName() + ", expected int"));
  }

  /** An int option that must fit in 32 bits (signed or unsigned, as TFLM's readers truncate). */
  public int int32(String key) {
    long v = integer(key);
    if (v < Integer.MIN_VALUE || v > 0xFFFF_FFFFL) {
      throw new KilnException(where + ": custom option '" + key + "' = " + v
          + " does not fit in 32 bits");
    }
    return (int) v;
  }

  public boolean bool(String key) {
    return integer(key) != 0;
  }

  /** Bounds-checked reading of one buffer. */
  private static final class Reader {
    private final byte[] b;
    private final String where;
    /** Maps and vectors read: an empty map may point at itself, so a damaged buffer could loop. */
    private int depth;

    Reader(byte[] b, String where) {
      this.b = b;
      this.where = where;
    }

    Map<String, Object> rootMap() {
      int rootWidth = u8(b.length - 1);
      int packed = u8(b.length - 2);
      if (rootWidth != 1 && rootWidth != 2 && rootWidth != 4 && rootWidth != 8) {
        throw corrupt("root byte width " + rootWidth);
      }
      int at = b.length - 2 - rootWidth;
      if (packed >> 2 != MAP) {
        throw corrupt("the root is of type " + (packed >> 2) + ", not a map");
      }
      return map(target(at, rootWidth), 1 << (packed & 3));
    }

    private Map<String, Object> map(int at, int width) {
      if (++depth > 32) {
        throw corrupt("more than 32 maps and vectors");
      }
      int size = size(at, width);
      int keysAt = target(at - 3 * width, width);
      int keysWidth = (int) unsigned(at - 2 * width, width);
      checkWidth(keysWidth);
      if (size(keysAt, keysWidth) != size) {
        throw corrupt("a map has " + size + " values but a different number of keys");
      }
      Map<String, Object> m = new LinkedHashMap<>();
      for (int i = 0; i < size; i++) {
        String key = cString(target(keysAt + i * keysWidth, keysWidth));
        m.put(key, value(at + i * width, width, u8(at + size * width + i)));
      }
      return m;
    }

    /** The value stored at {@code at} in a parent of byte width {@code parentWidth}. */
    private Object value(int at, int parentWidth, int packed) {
      int type = packed >> 2;
      int childWidth = 1 << (packed & 3);
      return switch (type) {
        case NULL -> null;
        case INT -> signed(at, parentWidth);
        case UINT -> unsigned(at, parentWidth);
        case BOOL -> unsigned(at, parentWidth) != 0;
        case FLOAT -> real(at, parentWidth);
        case INDIRECT_INT -> signed(target(at, parentWidth), childWidth);
        case INDIRECT_UINT -> unsigned(target(at, parentWidth), childWidth);
        case INDIRECT_FLOAT -> real(target(at, parentWidth), childWidth);
        case KEY -> cString(target(at, parentWidth));
        case STRING -> string(target(at, parentWidth), childWidth);
        case MAP -> map(target(at, parentWidth), childWidth);
        case VECTOR -> untypedVector(target(at, parentWidth), childWidth);
        case VECTOR_INT, VECTOR_UINT, VECTOR_BOOL -> {
          int v = target(at, parentWidth);
          yield longs(v, childWidth, size(v, childWidth), type == VECTOR_INT);
        }
        case VECTOR_FLOAT -> {
          int v = target(at, parentWidth);
          yield doubles(v, childWidth, size(v, childWidth));
        }
        default -> {
          if (type >= VECTOR_INT2 && type <= VECTOR_FLOAT4) {
            // Fixed-length typed vectors: int/uint/float triples of lengths 2, 3 and 4.
            int kind = (type - VECTOR_INT2) % 3;
            int length = (type - VECTOR_INT2) / 3 + 2;
            int v = target(at, parentWidth);
            yield kind == 2 ? doubles(v, childWidth, length)
                : longs(v, childWidth, length, kind == 0);
          }
          if (type == VECTOR_KEY || type == BLOB) {
            throw new KilnException(where + ": custom options of FlexBuffers type " + type
                + " (key vector or blob) are not supported");
          }
          throw corrupt("unknown value type " + type);
        }
      };
    }

    private Object untypedVector(int at, int width) {
      if (++depth > 32) {
        throw corrupt("more than 32 maps and vectors");
      }
      int size = size(at, width);
      long[] ints = new long[size];
      double[] reals = new double[size];
      boolean anyFloat = false;
      for (int i = 0; i < size; i++) {
        Object e = value(at + i * width, width, u8(at + size * width + i));
        if (e instanceof Long l) {
          ints[i] = l;
          reals[i] = l;
        } else if (e instanceof Double d) {
          reals[i] = d;
          anyFloat = true;
        } else if (e instanceof Boolean bool) {
          ints[i] = bool ? 1 : 0;
          reals[i] = ints[i];
        } else {
          throw new KilnException(where + ": custom options with vectors of non-numbers are not"
              + " supported");
        }
      }
      return anyFloat ? reals : ints;
    }

    private long[] longs(int at, int width, int n, boolean signed) {
      check(at, (long) n * width);
      long[] out = new long[n];
      for (int i = 0; i < n; i++) {
        out[i] = signed ? signed(at + i * width, width) : unsigned(at + i * width, width);
      }
      return out;
    }

    private double[] doubles(int at, int width, int n) {
      check(at, (long) n * width);
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        out[i] = real(at + i * width, width);
      }
      return out;
    }

    /** Element count stored just before a vector, map or string. */
    private int size(int at, int width) {
      long n = unsigned(at - width, width);
      if (n < 0 || n > b.length) {
        throw corrupt("a size of " + n + " elements");
      }
      return (int) n;
    }

    /** Offsets point backwards: the target is {@code at} minus the stored unsigned offset. */
    private int target(int at, int width) {
      checkWidth(width);
      long off = unsigned(at, width);
      long t = at - off;
      if (off < 0 || t < 0 || t >= b.length) {
        throw corrupt("an offset of " + off + " from byte " + at);
      }
      return (int) t;
    }

    private String cString(int at) {
      int end = at;
      while (end < b.length && b[end] != 0) {
        end++;
      }
      if (end == b.length) {
        throw corrupt("a key without its terminating zero");
      }
      return new String(b, at, end - at, StandardCharsets.UTF_8);
    }

    private String string(int at, int width) {
      int n = size(at, width);
      check(at, n);
      return new String(b, at, n, StandardCharsets.UTF_8);
    }

    private long signed(int at, int width) {
      check(at, width);
      return switch (width) {
        case 1 -> b[at];
        case 2 -> (short) unsigned(at, 2);
        case 4 -> (int) unsigned(at, 4);
        case 8 -> unsigned(at, 8);
        default -> throw corrupt("byte width " + width);
      };
    }

    private long unsigned(int at, int width) {
      check(at, width);
      long v = 0;
      for (int i = width - 1; i >= 0; i--) {
        v = v << 8 | (b[at + i] & 0xFF);
      }
      return v;
    }

    private double real(int at, int width) {
      return switch (width) {
        case 4 -> Float.intBitsToFloat((int) unsigned(at, 4));
        case 8 -> Double.longBitsToDouble(unsigned(at, 8));
        default -> throw corrupt("a float of " + width + " bytes");
      };
    }

    private int u8(int at) {
      check(at, 1);
      return b[at] & 0xFF;
    }

    private void checkWidth(int width) {
      if (width != 1 && width != 2 && width != 4 && width != 8) {
        throw corrupt("byte width " + width);
      }
    }

    private void check(int at, long n) {
      if (at < 0 || n < 0 || at + n > b.length) {
        throw corrupt("a read of " + n + " bytes at " + at + " outside the " + b.length
            + "-byte buffer");
      }
    }

    private KilnException corrupt(String what) {
      return new KilnException(where + ": corrupt custom options (FlexBuffers): " + what);
    }
  }
}
