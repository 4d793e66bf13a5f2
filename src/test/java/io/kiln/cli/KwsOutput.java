package io.kiln.cli;

import java.nio.file.Path;

/** What {@code kiln kws} prints for a WAV, for tests outside this package to compare with. */
public final class KwsOutput {
  private KwsOutput() {}

  public static String of(Path wav, Path frontEnd, Path model) {
    CliRunner.Result r = CliRunner.kiln("kws", wav.toString(), "--frontend", frontEnd.toString(),
        "--model", model.toString());
    if (r.code() != 0) {
      throw new AssertionError("kiln kws failed: " + r.err());
    }
    return r.out();
  }
}
