package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policies choose units by kind, not by name: DIANA with its arrays renamed plans exactly as the
 * preset does, with the new names in the report.
 */
class PolicyKindsTest {
  @TempDir
  Path tmp;

  @Test
  void renamedUnitsPlanLikeThePreset() throws Exception {
    String yaml = kiln("target", "show", "diana").out()
        .replace("name: digital", "name: pe").replace("digital.weights", "pe.weights")
        .replace("name: analog", "name: imc").replace("analog.weights", "imc.weights")
        .replace("readers: [digital, analog]", "readers: [pe, imc]");
    Path hw = Files.writeString(tmp.resolve("renamed.yaml"), yaml);
    for (String policy : new String[] {"digital", "analog", "mixed", "weights"}) {
      CliRunner.Result preset = kiln("plan", "builtin:resnet", "--target", "diana", "--policy", policy, "--ternarize");
      CliRunner.Result renamed = kiln("plan", "builtin:resnet", "--target", hw.toString(), "--policy", policy,
          "--ternarize");
      assertThat(renamed.code()).as(renamed.err()).isZero();
      String expected = preset.out().replace(" digital ", " pe      ").replace(" analog ", " imc     ")
          .replace("digital=", "pe=").replace("analog=", "imc=");
      assertThat(unitsLine(renamed.out())).as(policy).isEqualTo(unitsLine(expected));
    }
  }

  private static String unitsLine(String report) {
    return report.lines().filter(l -> l.contains("layers per unit")).findFirst().orElse("");
  }
}
