package io.kiln.target;

import java.util.ArrayList;
import java.util.List;

/** Reads an accelerator's {@code sparsity:} field into a {@link Sparsity}, each error naming its field. */
final class SparsityLoader {
  private SparsityLoader() {}

  /**
   * The N:M formats a unit takes ({@link Sparsity}): {@code formats: [1:4, 1:8]} (each N:M with M
   * in {4, 8, 16} and N in {1, 2} below M), {@code offset_bits} wide enough for every M, and
   * {@code skip_zeros} (default true).
   */
  static Sparsity read(YamlFields f) {
    List<String> names = f.stringList("formats", null);
    if (names.isEmpty()) {
      throw f.error("formats", "must list at least one N:M format, e.g. [1:4, 1:8, 1:16]");
    }
    List<io.kiln.ir.Encoding.NM> formats = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String at = f.pathOf("formats") + "[" + i + "]";
      io.kiln.ir.Encoding.NM nm = parseNm(names.get(i), at, f);
      if (formats.contains(nm)) {
        throw f.errorAt(at, "format " + nm + " is listed twice");
      }
      formats.add(nm);
    }
    int need = formats.stream().mapToInt(Sparsity::minOffsetBits).max().orElse(0);
    if (!f.has("offset_bits")) {
      throw f.error("offset_bits", "missing field (bits of one stored offset inside its group, at least "
          + need + " for " + formats.stream().map(Object::toString).reduce((a, b) -> a + ", " + b).orElse("") + ")");
    }
    int bits = Math.toIntExact(f.integer("offset_bits", 1));
    if (bits > 8) {
      throw f.error("offset_bits", "at most 8 bits, got " + bits);
    }
    for (io.kiln.ir.Encoding.NM nm : formats) {
      if (bits < Sparsity.minOffsetBits(nm)) {
        throw f.error("offset_bits", bits + " bits cannot hold the offsets of " + nm + " groups (needs "
            + Sparsity.minOffsetBits(nm) + ")");
      }
    }
    return new Sparsity(formats, bits, f.bool("skip_zeros", true));
  }

  private static io.kiln.ir.Encoding.NM parseNm(String text, String at, YamlFields f) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+):(\\d+)").matcher(text);
    if (!m.matches()) {
      throw f.errorAt(at, "expected an N:M format such as 1:4, got '" + text + "'");
    }
    try {
      return new io.kiln.ir.Encoding.NM(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    } catch (IllegalArgumentException e) {
      throw f.errorAt(at, e.getMessage());
    }
  }}
