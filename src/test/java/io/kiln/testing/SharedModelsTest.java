package io.kiln.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/** Missing shared models skip a test on a developer's machine and fail it in CI. */
class SharedModelsTest {
  @TempDir
  Path empty;

  @Test
  void missingModelsSkipOutsideCi() {
    assertThatThrownBy(() -> SharedModels.root(empty, false))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("shared models not found: expected them at " + empty);
  }

  @Test
  void missingModelsFailInCi() {
    assertThatThrownBy(() -> SharedModels.root(empty, true))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("CI=true, so this is a failure, not a skip");
  }

  @Test
  void presentModelsAreFoundEitherWay() {
    Path models = SharedModels.root();
    assertThat(SharedModels.root(models, true)).isEqualTo(models);
    assertThat(SharedModels.root(models, false)).isEqualTo(models);
  }
}
