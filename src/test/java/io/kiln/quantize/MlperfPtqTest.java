package io.kiln.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.testing.SharedModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The must-show: Kiln's int8 MLPerf Tiny models agree with float as well as MLCommons'. */
class MlperfPtqTest {
  /** Evaluation inputs per model; docs/quantization.md reports 200 (-Dkiln.ptq.eval=200). */
  private static final int EVAL = Integer.getInteger("kiln.ptq.eval", 200);
  private static final int CALIBRATION = Integer.getInteger("kiln.ptq.calibration", 100);

  private static Path dir() {
    return SharedModels.file("mlperf-tiny");
  }

  private static MlperfPtq.Result run(MlperfPtq.Case c, QuantizeOptions o) {
    long t0 = System.nanoTime();
    MlperfPtq.Result r = MlperfPtq.run(dir(), c, CALIBRATION, EVAL, o);
    System.out.printf("%s %s%n  kiln:      %s%n  published: %s%n  (%.1f s)%n%s", c.floatModel(),
        o, r.kilnAgreement().summary(), r.publishedAgreement().summary(),
        (System.nanoTime() - t0) / 1e9, r.report().format());
    return r;
  }

  @Test
  void resnet() {
    MlperfPtq.Result r = run(MlperfPtq.RESNET, QuantizeOptions.DEFAULTS.withPerChannel(true));
    assertThat(r.kilnAgreement().top1Matches())
        .isGreaterThanOrEqualTo(r.publishedAgreement().top1Matches());
  }

  @Test
  void vww() {
    MlperfPtq.Result r = run(MlperfPtq.VWW, QuantizeOptions.DEFAULTS.withPerChannel(true));
    assertThat(r.kilnAgreement().top1Matches())
        .isGreaterThanOrEqualTo(r.publishedAgreement().top1Matches());
  }

  @Test
  void ad() {
    MlperfPtq.Result r = run(MlperfPtq.AD, QuantizeOptions.DEFAULTS.withPerChannel(true));
    assertThat(r.kilnAgreement().meanAbsError())
        .isLessThanOrEqualTo(r.publishedAgreement().meanAbsError());
  }
}
