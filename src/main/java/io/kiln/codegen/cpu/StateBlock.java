package io.kiln.codegen.cpu;

import io.kiln.codegen.CSource;
import io.kiln.ir.OpState;
import java.util.ArrayList;
import java.util.List;

/**
 * The generated library's static state ({@link OpState}): one static array per state buffer of
 * a stateful layer, kept from one {@code kiln_run} to the next, {@code KILN_STATE_BYTES} in all,
 * and returned by {@code kiln_reset()} to the bytes TFLM resets variable tensors to.
 */
final class StateBlock {
  /** A static state array: its C name, bytes and reset byte. */
  record StateArray(String name, long bytes, int resetByte) {}

  private final List<StateArray> arrays = new ArrayList<>();

  /**
   * Declares {@code static <ctype> name[elements];} in {@code c} for {@code buffer} and returns
   * the name.
   */
  String declare(CSource c, String name, OpState.Buffer buffer) {
    c.line("/* %s: state kept from run to run, reset by kiln_reset. */", buffer.role());
    c.line("static %s %s[%d];", CSource.ctype(buffer.type().dtype()), name,
        buffer.type().elements());
    arrays.add(new StateArray(name, buffer.bytes(), buffer.resetByte()));
    return name;
  }

  long bytes() {
    return arrays.stream().mapToLong(StateArray::bytes).sum();
  }

  /**
   * Whether some array resets to other than zero bytes: static storage starts at zero, so
   * {@code kiln_run} must then reset once before its first inference.
   */
  boolean needsInitialReset() {
    return arrays.stream().anyMatch(a -> a.resetByte() != 0);
  }

  /** The body of {@code kiln_reset}. */
  void emitReset(CSource c) {
    for (StateArray s : arrays) {
      c.line("memset(%s, %d, sizeof %s);", s.name(), s.resetByte(), s.name());
    }
  }
}
