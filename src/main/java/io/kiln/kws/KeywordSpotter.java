package io.kiln.kws;

import io.kiln.KilnException;
import io.kiln.interp.Interpreter;
import io.kiln.interp.Tensor;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Audio to keyword on the reference interpreter: slices the samples into the front-end's
 * windows every stride, turns each window into one feature frame (the front-end keeps its state
 * from frame to frame), and once the model's window of frames is full runs the model on the
 * latest frames after every new frame, smoothing the scores with a {@link Recognizer}.
 */
public final class KeywordSpotter {
  /** One run of the model: when, its feature window, its scores and the smoothed view. */
  public record Inference(long timeMs, byte[] features, int[] scores, int rawTop,
      Recognizer.Result smoothed) {}

  private final Graph frontEnd;
  private final Graph model;
  private final int windowSamples;
  private final int strideSamples;
  private final int frameFeatures;
  private final int windowFrames;
  private final int sampleRate;

  public KeywordSpotter(Graph frontEnd, Graph model, int sampleRate, int strideMs) {
    this.frontEnd = frontEnd;
    this.model = model;
    this.sampleRate = sampleRate;
    if (frontEnd.inputs().size() != 1 || frontEnd.outputs().size() != 1) {
      throw new KilnException("the front-end must have one input and one output, "
          + frontEnd.name() + " has " + frontEnd.inputs().size() + " and "
          + frontEnd.outputs().size());
    }
    Value audio = frontEnd.inputValues().get(0);
    if (audio.dtype() != DType.INT16) {
      throw new KilnException("the front-end's input must be int16 audio, " + frontEnd.name()
          + " takes " + audio.dtype().shortName() + audio.shape());
    }
    windowSamples = audio.shape().elements();
    if (strideMs < 1 || (long) strideMs * sampleRate % 1000 != 0) {
      throw new KilnException("--stride-ms " + strideMs + " is not a whole number of samples at "
          + sampleRate + " Hz");
    }
    strideSamples = (int) ((long) strideMs * sampleRate / 1000);
    Value features = frontEnd.outputValues().get(0);
    frameFeatures = features.shape().elements();
    if (model.inputs().size() != 1 || model.outputs().size() != 1) {
      throw new KilnException("the model must have one input and one output");
    }
    Value in = model.inputValues().get(0);
    if (in.dtype() != features.dtype() || in.shape().elements() % frameFeatures != 0) {
      throw new KilnException("the model's input " + in.dtype().shortName() + in.shape()
          + " is not a whole number of the front-end's " + features.dtype().shortName()
          + features.shape() + " feature frames");
    }
    windowFrames = in.shape().elements() / frameFeatures;
    if (model.outputValues().get(0).dtype() != DType.INT8) {
      throw new KilnException("the model's scores must be int8 (a quantized softmax), "
          + model.name() + " outputs " + model.outputValues().get(0).dtype().shortName());
    }
  }

  /** Classes the model scores. */
  public int classes() {
    return model.outputValues().get(0).shape().elements();
  }

  public int windowFrames() {
    return windowFrames;
  }

  public int windowSamples() {
    return windowSamples;
  }

  public int strideSamples() {
    return strideSamples;
  }

  /** Every inference over the samples, in time order. */
  public List<Inference> run(short[] samples, Recognizer.Settings settings) {
    int frames = samples.length < windowSamples ? 0
        : (samples.length - windowSamples) / strideSamples + 1;
    if (frames < windowFrames) {
      throw new KilnException(String.format(java.util.Locale.ROOT,
          "%.0f ms of audio give %d frames; the model needs %d (%.0f ms)",
          samples.length * 1000.0 / sampleRate, frames, windowFrames,
          ((windowFrames - 1.0) * strideSamples + windowSamples) * 1000.0 / sampleRate));
    }
    Interpreter fe = new Interpreter(frontEnd);
    Interpreter net = new Interpreter(model);
    Value audio = frontEnd.inputValues().get(0);
    Value in = model.inputValues().get(0);
    Recognizer recognizer = new Recognizer(settings);
    Deque<byte[]> window = new ArrayDeque<>();
    List<Inference> out = new ArrayList<>();
    for (int f = 0; f < frames; f++) {
      int[] frame = new int[windowSamples];
      for (int i = 0; i < windowSamples; i++) {
        frame[i] = samples[f * strideSamples + i];
      }
      Tensor feat = fe.run(List.of(Tensor.ofInts(DType.INT16, audio.shape(), frame))).get(0);
      window.addLast(feat.toBytes());
      if (window.size() > windowFrames) {
        window.removeFirst();
      }
      if (window.size() < windowFrames) {
        continue;
      }
      byte[] features = new byte[(int) in.type().bytes()];
      int at = 0;
      for (byte[] w : window) {
        System.arraycopy(w, 0, features, at, w.length);
        at += w.length;
      }
      Tensor scores = net.run(List.of(Tensor.fromBytes(in.dtype(), in.shape(), features)))
          .get(0);
      int[] s = scores.ints.clone();
      int top = 0;
      for (int i = 1; i < s.length; i++) {
        if (s[i] > s[top]) {
          top = i;
        }
      }
      long timeMs = ((long) f * strideSamples + windowSamples) * 1000L / sampleRate;
      out.add(new Inference(timeMs, features, s, top, recognizer.add(timeMs, s)));
    }
    return out;
  }
}
