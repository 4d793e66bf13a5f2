package io.kiln.plan.tiling;

import io.kiln.KilnException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The tiling solvers a user can choose by name ({@code kiln plan --solver}). All three reach the
 * same objective value on every problem; they differ in speed and in what they depend on.
 */
public enum SolverKind {
  /** {@link BranchAndBoundSolver}: the fastest on Kiln's layers, pure Java; the default. */
  BNB,
  /** {@link CpSatSolver}: OR-Tools CP-SAT, a native library (Linux x86-64 only). */
  CPSAT,
  /** {@link ExhaustiveSolver}: the baseline; every combination, slow on large layers. */
  EXHAUSTIVE;

  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** A new solver of this kind; CP-SAT loads its native library here, or fails in one line. */
  public TilingSolver create() {
    return switch (this) {
      case BNB -> new BranchAndBoundSolver();
      case CPSAT -> new CpSatSolver();
      case EXHAUSTIVE -> new ExhaustiveSolver();
    };
  }

  /** The kind called {@code name} (any case), or a one-line error listing the choices. */
  public static SolverKind named(String name) {
    for (SolverKind k : values()) {
      if (k.cliName().equals(name.strip().toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new KilnException("unknown solver '" + name + "' (solvers: "
        + Arrays.stream(values()).map(SolverKind::cliName).collect(Collectors.joining(", ")) + ")");
  }
}
