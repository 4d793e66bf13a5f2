package io.kiln.models;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Shape;
import io.kiln.quantize.PostTrainingQuantizer;
import io.kiln.quantize.QuantizeOptions;
import java.util.List;
import java.util.function.Supplier;

/**
 * Example int8 networks built in code, shaped like the MLPerf Tiny reference models, so that Kiln
 * can be tried (and its CLI tested) without any model file. Each is a float network with seeded
 * weights, quantized by Kiln's own post-training quantizer on seeded calibration inputs, the way
 * TFLite's converter makes the MLPerf Tiny int8 models: per-channel int8 weights, int32 biases,
 * activation ranges observed on the float network, int8 input and output. The same name always
 * gives the same graph, bit for bit.
 */
public final class Builtins {

  /**
   * How every built-in is quantized: TFLite's full-integer recipe (per-channel symmetric weights,
   * min/max activation ranges, int8 I/O).
   */
  public static final QuantizeOptions QUANTIZATION = QuantizeOptions.DEFAULTS
      .withPerChannel(true)
      .withObserver(QuantizeOptions.Observer.MINMAX)
      .withIo(QuantizeOptions.IoType.INT8);

  /**
   * One built-in model: the name after {@code builtin:}, a one-line description, the float
   * network and the inputs it is calibrated on.
   */
  public record Builtin(String name, String description, Supplier<Graph> floatModel,
      UniformInputs calibration) {

    /** The seeded float network before quantization. */
    public Graph floatGraph() {
      return floatModel.get();
    }

    /**
     * The int8 model: the float network quantized with {@link Builtins#QUANTIZATION}. Graphs are
     * immutable, so it is built (calibration runs included) once per process.
     */
    public Graph build() {
      return BUILT.computeIfAbsent(name, n -> quantize());
    }

    /** Builds the int8 model afresh (what {@link #build} caches). */
    Graph quantize() {
      Graph f = floatGraph();
      Graph q = PostTrainingQuantizer.quantize(f, calibration.draw(f), QUANTIZATION);
      // The quantizer names its result NAME_int8; a built-in is known by its own name.
      return new Graph(name, q.values(), q.nodes(), q.inputs(), q.outputs());
    }
  }

  public static final String PREFIX = "builtin:";

  private static final java.util.Map<String, Graph> BUILT = new java.util.concurrent.ConcurrentHashMap<>();

  // Seeds spell names in ASCII: weights "kws_" and "resn", calibration inputs the same + "cal".
  // Calibration draws like the real models' inputs: MFCC features in [-1, 1], pixels in [0, 1].
  private static final List<Builtin> ALL = List.of(
      new Builtin("ds_cnn",
          "DS-CNN keyword spotting like MLPerf Tiny KWS: int8[1,49,10,1] -> 12 classes",
          Builtins::dsCnn, new UniformInputs(0x6B77735F_63616CL, -1f, 1f, 8)),
      new Builtin("resnet",
          "ResNet8 image classifier like MLPerf Tiny IC: int8[1,32,32,3] -> 10 classes",
          Builtins::resnet, new UniformInputs(0x7265736E_63616CL, 0f, 1f, 4)));

  private Builtins() {}

  public static List<Builtin> all() {
    return ALL;
  }

  /** The built-in model called {@code name} (without the {@code builtin:} prefix). */
  public static Builtin named(String name) {
    for (Builtin b : ALL) {
      if (b.name().equals(name)) {
        return b;
      }
    }
    throw new KilnException("unknown built-in model '" + name + "'; available: "
        + String.join(", ", ALL.stream().map(b -> PREFIX + b.name()).toList()));
  }

  /**
   * Depthwise-separable CNN for keyword spotting on 49 MFCC frames of 10 coefficients: conv 10x4
   * stride 2, four depthwise 3x3 + pointwise 1x1 blocks with 64 channels, global average pool,
   * fully connected to 12 classes and softmax (the layer sizes of MLPerf Tiny's KWS model).
   */
  static Graph dsCnn() {
    FloatNetBuilder b = new FloatNetBuilder("ds_cnn", 0x6B77735FL);
    int x = b.input("input", Shape.of(1, 49, 10, 1));
    x = b.conv("conv0", x, 64, 10, 4, 2, true, true);
    for (int i = 1; i <= 4; i++) {
      x = b.depthwise("dw" + i, x, 3, 3, 1, true);
      x = b.conv("pw" + i, x, 64, 1, 1, 1, true, true);
    }
    x = b.globalAveragePool("avgpool", x);
    x = b.reshape("flatten", x, Shape.of(1, 64));
    x = b.fullyConnected("fc", x, 12, false);
    return b.build(b.softmax("softmax", x));
  }

  /**
   * ResNet8 for 32x32 RGB images: conv 3x3 with 16 channels, three residual stacks (16, 32 and 64
   * channels, the last two downsampling by 2 with a 1x1 projection shortcut), global average
   * pool, fully connected to 10 classes and softmax (MLPerf Tiny's image classification model).
   */
  static Graph resnet() {
    FloatNetBuilder b = new FloatNetBuilder("resnet", 0x7265736EL);
    int x = b.input("input", Shape.of(1, 32, 32, 3));
    x = b.conv("conv0", x, 16, 3, 3, 1, true, true);
    int[] channels = {16, 32, 64};
    for (int s = 0; s < channels.length; s++) {
      String p = "stack" + (s + 1);
      int stride = s == 0 ? 1 : 2;
      int y = b.conv(p + "/conv1", x, channels[s], 3, 3, stride, true, true);
      y = b.conv(p + "/conv2", y, channels[s], 3, 3, 1, true, false);
      int shortcut = stride == 1 ? x : b.conv(p + "/shortcut", x, channels[s], 1, 1, stride,
          true, false);
      x = b.add(p + "/add", shortcut, y, true);
    }
    x = b.globalAveragePool("avgpool", x);
    x = b.reshape("flatten", x, Shape.of(1, 64));
    x = b.fullyConnected("fc", x, 10, false);
    return b.build(b.softmax("softmax", x));
  }
}
