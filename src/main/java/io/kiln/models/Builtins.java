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
          Builtins::resnet, new UniformInputs(0x7265736E_63616CL, 0f, 1f, 4)),
      new Builtin("resnet50",
          "ResNet-50-shaped (v1.5) for performance studies, seeded weights: int8[1,224,224,3] -> 1000",
          Builtins::resnet50, new UniformInputs(0x72353030_63616CL, 0f, 1f, 1)),
      new Builtin("vgg16",
          "VGG-16-shaped for performance studies, seeded weights: int8[1,224,224,3] -> 1000",
          Builtins::vgg16, new UniformInputs(0x76676716_63616CL, 0f, 1f, 1)));

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

  /**
   * ResNet-50 (v1.5, the stride on the 3x3 conv) at 224x224: 7x7/2 stem, 3x3/2 max pool, four
   * stages of 3, 4, 6 and 3 bottleneck blocks (1x1, 3x3, 1x1 with 4x expansion; a 1x1 projection
   * shortcut on each stage's first block), global average pool, fully connected to 1000 classes.
   * Its weights are random: it exists for timing studies (the systolic engine), not accuracy.
   */
  static Graph resnet50() {
    FloatNetBuilder b = new FloatNetBuilder("resnet50", 0x72353030L);
    int x = b.input("input", Shape.of(1, 224, 224, 3));
    x = b.conv("conv1", x, 64, 7, 7, 2, true, true);
    x = b.maxPool("pool1", x, 3, 2);
    int[] blocks = {3, 4, 6, 3};
    int[] mid = {64, 128, 256, 512};
    for (int s = 0; s < 4; s++) {
      for (int i = 0; i < blocks[s]; i++) {
        String p = "conv" + (s + 2) + "_" + (i + 1);
        int stride = i == 0 && s > 0 ? 2 : 1;
        int y = b.conv(p + "/1x1a", x, mid[s], 1, 1, 1, true, true);
        y = b.conv(p + "/3x3", y, mid[s], 3, 3, stride, true, true);
        y = b.conv(p + "/1x1b", y, mid[s] * 4, 1, 1, 1, true, false);
        int shortcut = i == 0 ? b.conv(p + "/shortcut", x, mid[s] * 4, 1, 1, stride, true, false) : x;
        x = b.add(p + "/add", shortcut, y, true);
      }
    }
    x = b.globalAveragePool("avgpool", x);
    x = b.reshape("flatten", x, Shape.of(1, 2048));
    x = b.fullyConnected("fc", x, 1000, false);
    return b.build(b.softmax("softmax", x));
  }

  /**
   * VGG-16 at 224x224: thirteen 3x3 convs in five stages (64, 128, 256, 512, 512 channels) each
   * closed by a 2x2/2 max pool, then fully connected 4096, 4096 and 1000, softmax. Random weights,
   * for timing studies.
   */
  static Graph vgg16() {
    FloatNetBuilder b = new FloatNetBuilder("vgg16", 0x76676716L);
    int x = b.input("input", Shape.of(1, 224, 224, 3));
    int[][] stages = {{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}};
    for (int s = 0; s < stages.length; s++) {
      for (int i = 0; i < stages[s][1]; i++) {
        x = b.conv("conv" + (s + 1) + "_" + (i + 1), x, stages[s][0], 3, 3, 1, true, true);
      }
      x = b.maxPool("pool" + (s + 1), x, 2, 2);
    }
    x = b.reshape("flatten", x, Shape.of(1, 7 * 7 * 512));
    x = b.fullyConnected("fc6", x, 4096, true);
    x = b.fullyConnected("fc7", x, 4096, true);
    x = b.fullyConnected("fc8", x, 1000, false);
    return b.build(b.softmax("softmax", x));
  }
}
