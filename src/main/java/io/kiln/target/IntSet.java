package io.kiln.target;

import java.util.List;

/**
 * A set of allowed integers in a pattern constraint (kernel sizes, strides, dilations): any
 * value, an inclusive range, or an explicit list. In YAML: {@code any}, {@code 1..7},
 * {@code [1, 3, 5]} or a single number.
 */
public sealed interface IntSet {
  boolean contains(int v);

  /** Every positive value. */
  record Any() implements IntSet {
    @Override
    public boolean contains(int v) {
      return v > 0;
    }

    @Override
    public String toString() {
      return "any";
    }
  }

  record Range(int min, int max) implements IntSet {
    @Override
    public boolean contains(int v) {
      return v >= min && v <= max;
    }

    @Override
    public String toString() {
      return min + ".." + max;
    }
  }

  record Values(List<Integer> values) implements IntSet {
    public Values {
      values = List.copyOf(values);
    }

    @Override
    public boolean contains(int v) {
      return values.contains(v);
    }

    @Override
    public String toString() {
      return values.toString();
    }
  }

  IntSet ANY = new Any();

  static IntSet of(Integer... values) {
    return new Values(List.of(values));
  }
}
