package io.kiln.plan.memory;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * One activation buffer to place in the arena: {@code bytes} long, live from the step that writes
 * it to the last step that reads it, both inclusive. A buffer with {@code aliasOf} present shares
 * the storage of the lifetime with that id (an in-place operator such as Reshape), so planners
 * treat the whole alias group as one buffer whose lifetime is the union of its members'.
 */
public record Lifetime(int id, String name, long bytes, int firstStep, int lastStep,
    OptionalInt aliasOf) {

  public Lifetime {
    Objects.requireNonNull(name);
    Objects.requireNonNull(aliasOf);
    if (bytes < 0) {
      throw new IllegalArgumentException("buffer '" + name + "' has negative size " + bytes);
    }
    if (firstStep < 0 || lastStep < firstStep) {
      throw new IllegalArgumentException("buffer '" + name + "' has an empty or negative lifetime ["
          + firstStep + ", " + lastStep + "]");
    }
    if (aliasOf.isPresent() && aliasOf.getAsInt() == id) {
      throw new IllegalArgumentException("buffer '" + name + "' aliases itself");
    }
  }

  /** A buffer with its own storage. */
  public static Lifetime of(int id, String name, long bytes, int firstStep, int lastStep) {
    return new Lifetime(id, name, bytes, firstStep, lastStep, OptionalInt.empty());
  }

  /** A buffer that shares the storage of lifetime {@code target}. */
  public static Lifetime aliasing(int id, String name, long bytes, int firstStep, int lastStep,
      int target) {
    return new Lifetime(id, name, bytes, firstStep, lastStep, OptionalInt.of(target));
  }

  /** Whether both buffers are live at some common step. */
  public boolean overlapsInTime(Lifetime other) {
    return firstStep <= other.lastStep && other.firstStep <= lastStep;
  }
}
