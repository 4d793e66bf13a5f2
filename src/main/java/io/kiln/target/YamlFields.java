package io.kiln.target;

import com.fasterxml.jackson.databind.JsonNode;
import io.kiln.KilnException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads one YAML mapping of a hardware file field by field, remembering the field path so every
 * error says where it is ({@code accelerators[1].memories.weights.size}) and, in {@link #done},
 * rejecting the fields nobody asked for (typos would otherwise be silently ignored).
 */
final class YamlFields {
  private final String source;
  private final String path;
  private final JsonNode node;
  private final Set<String> known = new LinkedHashSet<>();

  private YamlFields(String source, String path, JsonNode node) {
    this.source = source;
    this.path = path;
    this.node = node;
  }

  /** The document root; {@code what} names it for the "must be a mapping" error. */
  static YamlFields root(String source, JsonNode node) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      throw new KilnException(source + ": empty hardware description");
    }
    if (!node.isObject()) {
      throw new KilnException(source + ": expected a mapping of fields at the top level, got "
          + describe(node));
    }
    return new YamlFields(source, "", node);
  }

  String source() {
    return source;
  }

  String path() {
    return path;
  }

  /** The path of a field of this mapping, for error messages. */
  String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  KilnException error(String key, String problem) {
    return errorAt(pathOf(key), problem);
  }

  KilnException errorAt(String fieldPath, String problem) {
    return new KilnException(source + ": " + (fieldPath.isEmpty() ? "" : fieldPath + ": ")
        + problem);
  }

  boolean has(String key) {
    known.add(key);
    JsonNode v = node.get(key);
    return v != null && !v.isNull();
  }

  private JsonNode required(String key) {
    if (!has(key)) {
      throw error(key, "missing field");
    }
    return node.get(key);
  }

  String string(String key) {
    JsonNode v = required(key);
    if (!v.isValueNode() || v.isBoolean()) {
      throw error(key, "expected text, got " + describe(v));
    }
    String s = v.asText().strip();
    if (s.isEmpty()) {
      throw error(key, "must not be empty");
    }
    return s;
  }

  String string(String key, String dflt) {
    return has(key) ? string(key) : dflt;
  }

  boolean bool(String key, boolean dflt) {
    if (!has(key)) {
      return dflt;
    }
    JsonNode v = node.get(key);
    if (!v.isBoolean()) {
      throw error(key, "expected true or false, got " + describe(v));
    }
    return v.booleanValue();
  }

  /** A whole number of at least {@code min}. */
  long integer(String key, long min) {
    return checkMin(key, integerValue(key, required(key)), min);
  }

  long integer(String key, long min, long dflt) {
    return has(key) ? integer(key, min) : dflt;
  }

  int intValue(String key, int min, int dflt) {
    return Math.toIntExact(integer(key, min, dflt));
  }

  OptionalInt optionalInt(String key, int min) {
    return has(key) ? OptionalInt.of(Math.toIntExact(integer(key, min))) : OptionalInt.empty();
  }

  /** A number; {@code strictlyPositive} rejects 0 as well as negatives. */
  double number(String key, boolean strictlyPositive) {
    JsonNode v = required(key);
    double d;
    if (v.isNumber()) {
      d = v.doubleValue();
    } else if (v.isTextual()) {
      try {
        d = Double.parseDouble(v.asText().strip());
      } catch (NumberFormatException e) {
        throw error(key, "expected a number, got " + describe(v));
      }
    } else {
      throw error(key, "expected a number, got " + describe(v));
    }
    if (!Double.isFinite(d)) {
      throw error(key, "must be finite, got " + v.asText());
    }
    if (strictlyPositive && d <= 0) {
      throw error(key, "must be positive, got " + v.asText());
    }
    if (d < 0) {
      throw error(key, "must not be negative, got " + v.asText());
    }
    return d;
  }

  double number(String key, boolean strictlyPositive, double dflt) {
    return has(key) ? number(key, strictlyPositive) : dflt;
  }

  /** A size in bytes, written as a number or {@code "64 KiB"}; must be positive. */
  long size(String key) {
    JsonNode v = required(key);
    long bytes;
    if (v.isIntegralNumber()) {
      bytes = v.asLong();
    } else if (v.isTextual()) {
      String[] problem = new String[1];
      bytes = Quantities.parseSize(v.asText(), problem)
          .orElseThrow(() -> error(key, problem[0]));
    } else {
      throw error(key, "expected a size such as 65536 or '64 KiB', got " + describe(v));
    }
    return checkMin(key, bytes, 1);
  }

  /** A frequency in Hz, written as a number or {@code "260 MHz"}; must be positive. */
  long frequency(String key) {
    JsonNode v = required(key);
    long hz;
    if (v.isIntegralNumber()) {
      hz = v.asLong();
    } else if (v.isTextual()) {
      String[] problem = new String[1];
      hz = Quantities.parseFrequency(v.asText(), problem)
          .orElseThrow(() -> error(key, problem[0]));
    } else {
      throw error(key, "expected a frequency such as '100 MHz', got " + describe(v));
    }
    return checkMin(key, hz, 1);
  }

  <E extends Enum<E>> E enumValue(String key, Class<E> type) {
    return parseEnum(pathOf(key), required(key), type);
  }

  <E extends Enum<E>> E enumValue(String key, Class<E> type, E dflt) {
    return has(key) ? enumValue(key, type) : dflt;
  }

  /** A list of enum values; {@code dflt == null} makes the field required. */
  <E extends Enum<E>> List<E> enumList(String key, Class<E> type, List<E> dflt) {
    if (!has(key) && dflt != null) {
      return dflt;
    }
    return list(key, (item, itemPath) -> parseEnum(itemPath, item, type));
  }

  /** A list of names; {@code dflt == null} makes the field required. */
  List<String> stringList(String key, List<String> dflt) {
    if (!has(key) && dflt != null) {
      return dflt;
    }
    return list(key, (item, itemPath) -> {
      if (!item.isValueNode() || item.asText().isBlank()) {
        throw errorAt(itemPath, "expected a name, got " + describe(item));
      }
      return item.asText().strip();
    });
  }

  /** Allowed integers: {@code any}, {@code 1..7}, {@code [1, 3]} or one number. */
  IntSet intSet(String key, IntSet dflt) {
    if (!has(key)) {
      return dflt;
    }
    JsonNode v = node.get(key);
    if (v.isIntegralNumber()) {
      return IntSet.of(Math.toIntExact(checkMin(key, v.asLong(), 1)));
    }
    if (v.isArray()) {
      List<Integer> values = list(key, (item, itemPath) -> {
        if (!item.isIntegralNumber() || item.asLong() < 1) {
          throw errorAt(itemPath, "expected a positive whole number, got " + describe(item));
        }
        return item.asInt();
      });
      if (values.isEmpty()) {
        throw error(key, "must list at least one value");
      }
      return new IntSet.Values(values);
    }
    String s = v.asText().strip();
    if (s.equals("any")) {
      return IntSet.ANY;
    }
    String[] parts = s.split("\\.\\.", -1);
    if (parts.length == 2) {
      try {
        int min = Integer.parseInt(parts[0].strip());
        int max = Integer.parseInt(parts[1].strip());
        if (min >= 1 && max >= min) {
          return new IntSet.Range(min, max);
        }
      } catch (NumberFormatException e) {
        // fall through to the common message
      }
    }
    throw error(key, "expected 'any', a range 'MIN..MAX' with 1 <= MIN <= MAX, a list or a "
        + "number, got " + describe(v));
  }

  /** A nested mapping. */
  YamlFields object(String key) {
    JsonNode v = required(key);
    if (!v.isObject()) {
      throw error(key, "expected a mapping of fields, got " + describe(v));
    }
    return new YamlFields(source, pathOf(key), v);
  }

  Optional<YamlFields> optionalObject(String key) {
    return has(key) ? Optional.of(object(key)) : Optional.empty();
  }

  /** A list of mappings, each read with its {@code key[i]} path. */
  <T> List<T> objects(String key, Function<YamlFields, T> reader) {
    return list(key, (item, itemPath) -> {
      if (!item.isObject()) {
        throw errorAt(itemPath, "expected a mapping of fields, got " + describe(item));
      }
      YamlFields f = new YamlFields(source, itemPath, item);
      T t = reader.apply(f);
      f.done();
      return t;
    });
  }

  /** The keys of this mapping, in file order (for maps keyed by name). */
  List<String> keys() {
    List<String> keys = new ArrayList<>();
    node.fieldNames().forEachRemaining(keys::add);
    return keys;
  }

  interface ItemReader<T> {
    T read(JsonNode item, String itemPath);
  }

  <T> List<T> list(String key, ItemReader<T> reader) {
    JsonNode v = required(key);
    if (!v.isArray()) {
      throw error(key, "expected a list, got " + describe(v));
    }
    List<T> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      out.add(reader.read(v.get(i), pathOf(key) + "[" + i + "]"));
    }
    return out;
  }

  /** Rejects fields that were never read: most likely typos of the ones that were. */
  void done() {
    Iterator<String> it = node.fieldNames();
    while (it.hasNext()) {
      String k = it.next();
      if (!known.contains(k)) {
        throw error(k, "unknown field (allowed here: " + String.join(", ", known) + ")");
      }
    }
  }

  private long integerValue(String key, JsonNode v) {
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      return v.asLong();
    }
    throw error(key, "expected a whole number, got " + describe(v));
  }

  private long checkMin(String key, long v, long min) {
    if (v < min) {
      throw error(key, (min == 1 ? "must be positive" : min == 0 ? "must not be negative"
          : "must be at least " + min) + ", got " + v);
    }
    return v;
  }

  private <E extends Enum<E>> E parseEnum(String fieldPath, JsonNode v, Class<E> type) {
    String allowed = String.join(", ",
        Arrays.stream(type.getEnumConstants()).map(YamlFields::yamlName).toList());
    if (v.isValueNode() && !v.isBoolean()) {
      String s = v.asText().strip().replace('-', '_');
      for (E e : type.getEnumConstants()) {
        if (e.name().equalsIgnoreCase(s)) {
          return e;
        }
      }
    }
    throw errorAt(fieldPath, "unknown value " + describe(v) + " (allowed: " + allowed + ")");
  }

  /** How an enum constant is written in YAML: lower case, except loop dims (K, OX). */
  static String yamlName(Enum<?> e) {
    return e instanceof LoopDim ? e.name() : e.name().toLowerCase(Locale.ROOT);
  }

  static String describe(JsonNode v) {
    if (v.isObject()) {
      return "a mapping";
    }
    if (v.isArray()) {
      return "a list";
    }
    if (v.isTextual()) {
      return "'" + v.asText() + "'";
    }
    return v.asText();
  }
}
