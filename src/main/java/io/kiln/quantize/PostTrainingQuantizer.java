package io.kiln.quantize;

import io.kiln.KilnException;
import io.kiln.interp.Tensor;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.ir.Verifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Float → int8 post-training quantization into the TFLite integer form the interpreter runs:
 * symmetric int8 (or ternary) weights, asymmetric int8 activations with ranges from calibration,
 * int32 biases on input × weight scale, fused activations kept, and the fixed or shared output
 * quantizations TFLite's integer kernels require.
 */
public final class PostTrainingQuantizer {
  /** TFLite's fixed int8 output quantization of Softmax and Logistic: [0, 1) in 256 steps. */
  static final Quantization.PerTensor UNIT_INTERVAL = new Quantization.PerTensor(1f / 256, -128);
  /** TFLite's fixed int8 output quantization of Tanh: [-1, 1) in 256 steps. */
  static final Quantization.PerTensor SYMMETRIC_UNIT = new Quantization.PerTensor(1f / 128, 0);
  /** Suffix of the int8 twin of a float graph input or output when the I/O stays float. */
  public static final String INT8_SUFFIX = ":int8";

  private PostTrainingQuantizer() {}

  /** Quantizes {@code floatGraph} with ranges observed on {@code calibration} samples. */
  public static Graph quantize(Graph floatGraph, List<List<Tensor>> calibration,
      QuantizeOptions options) {
    requireFloat(floatGraph);
    if (calibration.isEmpty()) {
      throw new KilnException("no calibration samples given");
    }
    Map<Integer, ValueStatistics.Range> ranges =
        ActivationRanges.collect(floatGraph, calibration, options);
    Quantization[] quant = activationQuantization(floatGraph, ranges, options);
    return Verifier.verify(rewrite(floatGraph, quant, options));
  }

  /** Fails with a one-line error unless the graph is a float graph this pass can quantize. */
  public static void requireFloat(Graph g) {
    for (Value v : g.values()) {
      if (v.quant().isQuantized()) {
        throw new KilnException("model " + g.name() + " is already quantized (value '" + v.name()
            + "' is " + v.dtype().shortName() + " with quantization); kiln quantize needs a"
            + " float model");
      }
    }
    for (Value v : g.inputValues()) {
      if (v.dtype() != DType.FLOAT32) {
        throw new KilnException("model " + g.name() + " input '" + v.name() + "' is "
            + v.dtype().shortName() + "; kiln quantize needs float inputs");
      }
    }
  }

  /** The int8 quantization of every non-constant float value, by value id. */
  private static Quantization[] activationQuantization(Graph g,
      Map<Integer, ValueStatistics.Range> ranges, QuantizeOptions options) {
    boolean pow2 = options.scales() == QuantizeOptions.ScaleMode.POW2;
    Quantization[] q = new Quantization[g.values().size()];
    for (int id : g.inputs()) {
      q[id] = observed(ranges, id, pow2);
    }
    for (Node n : g.nodes()) {
      int out = n.output();
      if (n.outputs().size() != 1) {
        throw unsupported(g, n, "it has " + n.outputs().size() + " outputs");
      }
      q[out] = switch (n.op()) {
        case Op.Conv2D c -> observed(ranges, out, pow2);
        case Op.DepthwiseConv2D c -> observed(ranges, out, pow2);
        case Op.FullyConnected c -> observed(ranges, out, pow2);
        // A residual sum gets its own scale: its range is wider than either operand's.
        case Op.Add c -> observed(ranges, out, pow2);
        case Op.Relu c -> observed(ranges, out, pow2);
        case Op.Relu6 c -> observed(ranges, out, pow2);
        case Op.Mean c -> observed(ranges, out, pow2);
        // TFLite's integer pooling, reshape and pad move values without rescaling them, so the
        // output must carry the input's quantization.
        case Op.AveragePool2D c -> shared(g, n, q, 0);
        case Op.MaxPool2D c -> shared(g, n, q, 0);
        case Op.Reshape c -> shared(g, n, q, 0);
        case Op.Pad c -> shared(g, n, q, 0);
        case Op.Identity c -> shared(g, n, q, 0);
        case Op.Softmax c -> UNIT_INTERVAL;
        case Op.Logistic c -> UNIT_INTERVAL;
        case Op.Tanh c -> SYMMETRIC_UNIT;
        default -> throw unsupported(g, n, "no int8 lowering is implemented for it");
      };
    }
    return q;
  }

  private static Quantization observed(Map<Integer, ValueStatistics.Range> ranges, int id,
      boolean pow2) {
    ValueStatistics.Range r = ranges.get(id);
    if (r == null) {
      throw new KilnException("value %" + id + " is not a float activation");
    }
    return Scales.activation(r.lo(), r.hi(), pow2);
  }

  private static Quantization shared(Graph g, Node n, Quantization[] q, int slot) {
    int in = n.input(slot);
    if (g.value(in).isConstant()) {
      throw unsupported(g, n, "its input is a constant");
    }
    return q[in];
  }

  private static KilnException unsupported(Graph g, Node n, String why) {
    return new KilnException("cannot quantize " + n.op().opName() + " '" + g.output(n).name()
        + "': " + why);
  }

  /** Builds the integer graph: same node order and value names, quantized types and constants. */
  private static Graph rewrite(Graph g, Quantization[] quant, QuantizeOptions options) {
    GraphBuilder b = new GraphBuilder(g.name() + "_int8");
    int[] map = new int[g.values().size()];
    java.util.Arrays.fill(map, Node.ABSENT);
    boolean floatIo = options.io() == QuantizeOptions.IoType.FLOAT;
    for (int id : g.inputs()) {
      Value v = g.value(id);
      TensorType t = new TensorType(DType.INT8, v.shape(), quant[id]);
      if (floatIo) {
        int f = b.input(v.name(), v.type());
        map[id] = b.value(v.name() + INT8_SUFFIX, t);
        b.node(new Op.Quantize(), List.of(f), List.of(map[id]));
      } else {
        map[id] = b.input(v.name(), t);
      }
    }
    for (Node n : g.nodes()) {
      List<Integer> ins = new ArrayList<>();
      for (int slot = 0; slot < n.inputs().size(); slot++) {
        ins.add(operand(g, b, n, slot, ins, map, quant, options));
      }
      Value out = g.output(n);
      int o = b.value(out.name(), new TensorType(DType.INT8, out.shape(), quant[out.id()]));
      b.node(n.op(), ins, List.of(o));
      map[out.id()] = o;
    }
    for (int id : g.outputs()) {
      Value v = g.value(id);
      if (floatIo) {
        // The float output keeps the model's output name; its int8 producer is renamed.
        int f = b.value(v.name(), v.type());
        int q = map[id];
        b.node(new Op.Dequantize(), List.of(q), List.of(f));
        b.output(f);
      } else {
        b.output(map[id]);
      }
    }
    Graph result = b.build();
    return floatIo ? renameOutputProducers(result) : result;
  }

  /**
   * With float I/O the int8 values feeding each Dequantize of an output would share the output's
   * name; they get {@link #INT8_SUFFIX} so every name stays unique.
   */
  private static Graph renameOutputProducers(Graph g) {
    List<Value> values = new ArrayList<>(g.values());
    for (int id : g.outputs()) {
      for (Node n : g.nodes()) {
        if (n.output() == id && n.op() instanceof Op.Dequantize) {
          Value q = g.value(n.input(Op.Dequantize.INPUT));
          values.set(q.id(), new Value(q.id(), q.name() + INT8_SUFFIX, q.type(), q.data()));
        }
      }
    }
    return new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs());
  }

  /** The new value id for input {@code slot} of {@code n}, quantizing constants as the slot needs. */
  private static int operand(Graph g, GraphBuilder b, Node n, int slot, List<Integer> done,
      int[] map, Quantization[] quant, QuantizeOptions options) {
    int id = n.input(slot);
    if (id == Node.ABSENT) {
      return Node.ABSENT;
    }
    Value v = g.value(id);
    if (!v.isConstant()) {
      if (map[id] == Node.ABSENT) {
        throw unsupported(g, n, "input '" + v.name() + "' is not quantized");
      }
      return map[id];
    }
    if (v.dtype() != DType.FLOAT32) {
      return b.constant(v.name(), v.type(), v.data());
    }
    boolean pow2 = options.scales() == QuantizeOptions.ScaleMode.POW2;
    var slots = Op.constantSlots(n.op());
    if (slots.isPresent() && slots.get().weights() == slot) {
      // Output channels: axis 0 of OHWI filters and [out, in] weights, 3 of depthwise 1HWC.
      int weightAxis = n.op() instanceof Op.DepthwiseConv2D ? 3 : 0;
      WeightQuantizer.Quantized w = WeightQuantizer.weights(v.data().asFloats(), v.shape(),
          weightAxis, options.perChannel(), options.weights(), pow2);
      return b.constant(v.name(), w.type(), w.data());
    }
    if (slots.isPresent() && slots.get().bias() == slot) {
      int weightSlot = slots.get().weights();
      // Slots are visited in order, so the weights were quantized just before the bias.
      Quantization wq = b.type(done.get(weightSlot)).quant();
      float inScale = quant[n.input(0)].scale();
      WeightQuantizer.Quantized bias = WeightQuantizer.bias(v.data().asFloats(), v.shape(),
          inScale, wq);
      return b.constant(v.name(), bias.type(), bias.data());
    }
    // Any other float constant (an Add operand, say) is data like an activation.
    float[] data = v.data().asFloats();
    double lo = 0;
    double hi = 0;
    for (float x : data) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    Quantization.PerTensor q = Scales.activation(lo, hi, pow2);
    int[] qs = new int[data.length];
    for (int i = 0; i < data.length; i++) {
      long r = io.kiln.quant.FixedPoint.roundHalfAway(data[i] / (double) q.scale())
          + q.zeroPoint();
      qs[i] = (int) Math.max(Scales.QMIN, Math.min(Scales.QMAX, r));
    }
    return b.constant(v.name(), new TensorType(DType.INT8, v.shape(), q),
        ConstData.ofInts(DType.INT8, qs));
  }
}
