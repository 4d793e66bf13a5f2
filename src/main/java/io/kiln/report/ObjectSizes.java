package io.kiln.report;

import java.util.Objects;

/**
 * Section sizes of the generated model compiled to an object file (the model and its weights,
 * not the host driver): what the library costs in flash (.text, .rodata, .data) and RAM (.data,
 * .bss, which holds the static arena). When they could not be measured, {@code reason} says why
 * and the sizes are null.
 *
 * @param compiler the compiler used, as found on the PATH
 * @param command how each file was compiled, e.g. {@code gcc -std=c99 -O2 -c}
 */
public record ObjectSizes(boolean available, String compiler, String command, Long textBytes,
    Long rodataBytes, Long dataBytes, Long bssBytes, String reason) {

  public ObjectSizes {
    if (available) {
      Objects.requireNonNull(textBytes);
      Objects.requireNonNull(rodataBytes);
      Objects.requireNonNull(dataBytes);
      Objects.requireNonNull(bssBytes);
      if (reason != null) {
        throw new IllegalArgumentException("measured sizes have no reason");
      }
    } else {
      Objects.requireNonNull(reason);
    }
  }

  public static ObjectSizes measured(String compiler, String command, long text, long rodata,
      long data, long bss) {
    return new ObjectSizes(true, compiler, command, text, rodata, data, bss, null);
  }

  public static ObjectSizes unavailable(String compiler, String reason) {
    return new ObjectSizes(false, compiler, null, null, null, null, null, reason);
  }
}
