package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;

/**
 * Emits the inner loops shared by Conv2D and FullyConnected: dot products of one int16 vector
 * (the offset input patch) with consecutive int8 weight rows, {@value #ROWS} rows at a time.
 *
 * <p>The shape is chosen for gcc's vectorizer: the vector is int16 and the weights int8, so the
 * product cannot be narrowed to 16 bits and gcc recognizes a widening dot product (pmaddwd on
 * x86, SMLAD-friendly on Cortex-M); {@value #ROWS} rows share every load of the vector; every
 * bound is a constant.
 */
final class DotProducts {
  /** Output rows per pass over the vector. */
  static final int ROWS = 4;

  private DotProducts() {}

  /**
   * Emits {@code acc[r] = bias[r] + sum_i weights[r * length + i] * vec[i]} for every row
   * {@code r < rows}; {@code bias} may be null.
   *
   * <p>Terms are added in a different order than TFLM's (bias first, rows interleaved, the
   * vectorizer splits each sum into lanes); every partial sum of TFLM's own terms is an exact
   * int32, so the order cannot change the result.
   */
  static void emit(CSource c, String vec, int length, int rows, String weights, String bias,
      String acc) {
    int blocked = rows / ROWS * ROWS;
    if (blocked > 0) {
      c.open("for (int r = 0; r < %d; r += %d)", blocked, ROWS);
      c.line("const int8_t *w = %s + r * %d;", weights, length);
      StringBuilder init = new StringBuilder("int32_t ");
      for (int j = 0; j < ROWS; j++) {
        init.append(j > 0 ? ", " : "").append("a").append(j).append(" = ")
            .append(bias == null ? "0" : bias + "[r" + (j > 0 ? " + " + j : "") + "]");
      }
      c.line(init.append(';').toString());
      c.open("for (int i = 0; i < %d; ++i)", length);
      for (int j = 0; j < ROWS; j++) {
        c.line("a%d += w[%si] * %s[i];", j, j == 0 ? "" : (j * length) + " + ", vec);
      }
      c.close();
      for (int j = 0; j < ROWS; j++) {
        c.line("%s[r%s] = a%d;", acc, j == 0 ? "" : " + " + j, j);
      }
      c.close();
    }
    if (blocked < rows) {
      c.open("for (int r = %d; r < %d; ++r)", blocked, rows);
      c.line("const int8_t *w = %s + r * %d;", weights, length);
      c.line("int32_t a = %s;", bias == null ? "0" : bias + "[r]");
      c.open("for (int i = 0; i < %d; ++i)", length);
      c.line("a += w[i] * %s[i];", vec);
      c.close();
      c.line("%s[r] = a;", acc);
      c.close();
    }
  }
}
