package io.kiln.plan.tiling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.KilnException;
import org.junit.jupiter.api.Test;

/** Choosing a tiling solver by name. */
class SolverKindTest {

  @Test
  void namesCreateTheirSolvers() {
    assertThat(SolverKind.named("bnb").create()).isInstanceOf(BranchAndBoundSolver.class);
    assertThat(SolverKind.named(" CPSAT ").create()).isInstanceOf(CpSatSolver.class);
    assertThat(SolverKind.named("Exhaustive").create()).isInstanceOf(ExhaustiveSolver.class);
    for (SolverKind k : SolverKind.values()) {
      assertThat(SolverKind.named(k.cliName())).isEqualTo(k);
    }
  }

  @Test
  void anUnknownNameListsTheChoices() {
    assertThatThrownBy(() -> SolverKind.named("choco")).isInstanceOf(KilnException.class)
        .hasMessage("unknown solver 'choco' (solvers: bnb, cpsat, exhaustive)");
    assertThatThrownBy(() -> SolverKind.named("")).isInstanceOf(KilnException.class)
        .hasMessageStartingWith("unknown solver ''");
  }
}
