package io.kiln.target;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads and writes the human units of hardware files: sizes ({@code 256 KiB}, {@code 1 MiB}) and
 * frequencies ({@code 260 MHz}). Sizes use binary prefixes only, because "kB" is ambiguous
 * between 1000 and 1024 in datasheets.
 */
final class Quantities {
  private static final String[] SIZE_UNITS = {"B", "KiB", "MiB", "GiB"};
  private static final String[] FREQ_UNITS = {"Hz", "kHz", "MHz", "GHz"};

  private Quantities() {}

  /** Bytes of {@code "256 KiB"}, or empty with the reason in {@code problem[0]}. */
  static Optional<Long> parseSize(String text, String[] problem) {
    return parse(text, SIZE_UNITS, 1024, problem, "a size");
  }

  static Optional<Long> parseFrequency(String text, String[] problem) {
    return parse(text, FREQ_UNITS, 1000, problem, "a frequency");
  }

  static String formatSize(long bytes) {
    return format(bytes, SIZE_UNITS, 1024);
  }

  static String formatFrequency(long hz) {
    return format(hz, FREQ_UNITS, 1000);
  }

  private static Optional<Long> parse(String text, String[] units, long step, String[] problem,
      String what) {
    String s = text.strip();
    int split = 0;
    while (split < s.length()
        && (Character.isDigit(s.charAt(split)) || "+-.".indexOf(s.charAt(split)) >= 0)) {
      split++;
    }
    String number = s.substring(0, split);
    String unit = s.substring(split).strip();
    long multiplier = 0;
    long m = 1;
    for (String u : units) {
      if (u.equals(unit) || (unit.isEmpty() && u.equals(units[0]))) {
        multiplier = m;
      }
      m *= step;
    }
    if (number.isEmpty() || multiplier == 0) {
      problem[0] = "expected " + what + " such as 'NUMBER " + units[2] + "' (units: "
          + String.join(", ", units) + "), got '" + text + "'";
      return Optional.empty();
    }
    try {
      BigDecimal value = new BigDecimal(number).multiply(BigDecimal.valueOf(multiplier));
      // Exact arithmetic: 1.5 MiB is a whole number of bytes, 0.3 B is a mistake.
      return Optional.of(value.longValueExact());
    } catch (NumberFormatException | ArithmeticException e) {
      problem[0] = "'" + text + "' is not a whole number of " + units[0].toLowerCase(Locale.ROOT)
          + (units[0].equals("B") ? "ytes" : "");
      return Optional.empty();
    }
  }

  private static String format(long value, String[] units, long step) {
    int i = 0;
    long v = value;
    while (i + 1 < units.length && v != 0 && v % step == 0) {
      v /= step;
      i++;
    }
    return i == 0 ? Long.toString(value) : v + " " + units[i];
  }
}
