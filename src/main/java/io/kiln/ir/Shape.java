package io.kiln.ir;

import io.kiln.KilnException;
import java.util.Arrays;

/** An immutable static tensor shape; element counts are checked against int overflow. */
public final class Shape {
  private final int[] dims;

  private Shape(int[] dims) {
    this.dims = dims;
  }

  public static Shape of(int... dims) {
    int[] copy = dims.clone();
    long n = 1;
    for (int d : copy) {
      if (d < 0) {
        throw new KilnException("negative dimension " + d + " in shape " + Arrays.toString(copy));
      }
      n *= d;
      if (n > Integer.MAX_VALUE) {
        throw new KilnException(
            "shape " + Arrays.toString(copy) + " has more than 2^31-1 elements");
      }
    }
    return new Shape(copy);
  }

  public static Shape scalar() {
    return new Shape(new int[0]);
  }

  public int rank() {
    return dims.length;
  }

  public int dim(int i) {
    return dims[i < 0 ? dims.length + i : i];
  }

  public int[] dims() {
    return dims.clone();
  }

  /** Number of elements; fits in an int by construction. */
  public int elements() {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    return n;
  }

  /** Row-major strides in elements. */
  public int[] strides() {
    int[] s = new int[dims.length];
    int acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= dims[i];
    }
    return s;
  }

  public Shape withDim(int axis, int value) {
    int[] d = dims.clone();
    d[axis] = value;
    return Shape.of(d);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Canonical form: {@code [1,49,10,1]}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(dims[i]);
    }
    return sb.append(']').toString();
  }
}
