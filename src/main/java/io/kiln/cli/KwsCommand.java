package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.kws.KeywordSpotter;
import io.kiln.kws.Recognizer;
import io.kiln.kws.Wav;
import io.kiln.models.ModelSource;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln kws}: keyword spotting from a WAV file through a front-end model and a network. */
@Command(name = "kws", mixinStandardHelpOptions = true,
    description = {
        "Spot keywords in a 16-bit mono WAV: the FRONTEND model turns each window of audio"
            + " (its input size, every --stride-ms) into a feature frame, keeping its state"
            + " across frames; once the MODEL's window of frames is full the model runs after"
            + " every new frame. Prints each inference's scores and labels (raw and smoothed"
            + " over --average-ms like TFLM's micro_speech recognizer), then the final label."})
final class KwsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "WAV", description = "16-bit PCM mono WAV file.")
  Path wav;

  @Option(names = "--frontend", paramLabel = "FRONTEND", required = true,
      description = "The feature front-end (e.g. audio_preprocessor_int8.tflite).")
  String frontEnd;

  @Option(names = "--model", paramLabel = "MODEL", required = true,
      description = "The keyword network (e.g. micro_speech_quantized.tflite).")
  String model;

  @Option(names = "--stride-ms", paramLabel = "MS", defaultValue = "20",
      description = "Hop between front-end windows (default: ${DEFAULT-VALUE}).")
  int strideMs;

  @Option(names = "--sample-rate", paramLabel = "HZ", defaultValue = "16000",
      description = "The front-end's sample rate; the WAV must match (default: ${DEFAULT-VALUE}).")
  int sampleRate;

  @Option(names = "--labels", paramLabel = "A,B,...", split = ",",
      defaultValue = "silence,unknown,yes,no",
      description = "Class names in the model's output order (default: micro_speech's,"
          + " ${DEFAULT-VALUE}).")
  List<String> labels;

  @Option(names = "--average-ms", paramLabel = "MS", defaultValue = "1000",
      description = "Window the scores are averaged over (default: ${DEFAULT-VALUE}).")
  int averageMs;

  @Option(names = "--no-opt", description = "Run the models as imported, without the passes.")
  boolean noOpt;

  @Override
  public Integer call() {
    if (sampleRate < 1) {
      throw new KilnException("--sample-rate must be positive, got " + sampleRate);
    }
    if (averageMs < 1) {
      throw new KilnException("--average-ms must be positive, got " + averageMs);
    }
    Wav audio = Wav.read(wav, sampleRate);
    Graph fe = ModelSource.load(frontEnd);
    Graph net = ModelSource.load(model);
    if (!noOpt) {
      fe = io.kiln.passes.Pipeline.DEFAULT.apply(fe);
      net = io.kiln.passes.Pipeline.DEFAULT.apply(net);
    }
    KeywordSpotter spotter = new KeywordSpotter(fe, net, sampleRate, strideMs);
    if (labels.size() != spotter.classes()) {
      throw new KilnException("--labels names " + labels.size() + " classes, the model scores "
          + spotter.classes());
    }
    Recognizer.Settings s = Recognizer.MICRO_SPEECH;
    List<KeywordSpotter.Inference> runs = spotter.run(audio.samples(),
        new Recognizer.Settings(averageMs, s.detectionThreshold(), s.suppressionMs(),
            s.minimumCount()));
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%s: %.0f ms at %d Hz; %d-sample windows every %d samples; %d"
        + " frames of features per inference%n", wav.getFileName(), audio.millis(), sampleRate,
        spotter.windowSamples(), spotter.strideSamples(), spotter.windowFrames());
    for (KeywordSpotter.Inference r : runs) {
      StringBuilder scores = new StringBuilder();
      for (int i = 0; i < r.scores().length; i++) {
        scores.append(i > 0 ? " " : "").append(labels.get(i)).append('=').append(r.scores()[i]);
      }
      out.printf(Locale.ROOT, "%6d ms  %s  top %s  smoothed %s (%.0f)%s%n", r.timeMs(), scores,
          labels.get(r.rawTop()), labels.get(r.smoothed().top()),
          r.smoothed().averaged()[r.smoothed().top()],
          r.smoothed().newCommand() ? "  COMMAND " + labels.get(r.smoothed().top()) : "");
    }
    KeywordSpotter.Inference last = runs.get(runs.size() - 1);
    out.printf("label: %s%n", labels.get(last.smoothed().top()));
    out.flush();
    return 0;
  }

  @Override
  public String toString() {
    return "kws " + wav + " " + Arrays.asList(frontEnd, model);
  }
}
