package io.kiln.plan.dispatch;

import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Op;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Value;
import io.kiln.plan.dispatch.DispatchRule.Site;
import io.kiln.target.LoopDim;
import io.kiln.target.MemoryLevel;
import io.kiln.target.OpPattern;
import io.kiln.target.OpPattern.ActivationFn;
import io.kiln.target.OpPattern.WeightFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The rule predicates dispatch applies to every (layer, accelerator pattern) pair, as named
 * constants; {@link #ALL} is the order they are checked in. Each reason names the unit, the
 * parameter that failed, what the unit supports, and where possible what to do about it.
 */
public final class DispatchRules {
  private DispatchRules() {}

  public static final DispatchRule KERNEL_SIZE = new DispatchRule("kernel-size", (l, s) ->
      window(l).filter(w -> !s.pattern().kernelSizes().contains(w.fy())
              || !s.pattern().kernelSizes().contains(w.fx()))
          .<Verdict>map(w -> Verdict.reject("kernel " + w.fy() + "x" + w.fx()
              + " not supported by " + s.unit() + ": supports " + sizes(s.pattern()
              .kernelSizes().toString())))
          .orElse(Verdict.PASS));

  public static final DispatchRule STRIDE = new DispatchRule("stride", (l, s) ->
      window(l).filter(w -> !s.pattern().strides().contains(w.strideH())
              || !s.pattern().strides().contains(w.strideW()))
          .<Verdict>map(w -> Verdict.reject("stride " + w.strideH() + "x" + w.strideW()
              + " not supported by " + s.unit() + ": supports " + s.pattern().strides()))
          .orElse(Verdict.PASS));

  public static final DispatchRule DILATION = new DispatchRule("dilation", (l, s) ->
      window(l).filter(w -> !s.pattern().dilations().contains(w.dilationH())
              || !s.pattern().dilations().contains(w.dilationW()))
          .<Verdict>map(w -> Verdict.reject("dilation " + w.dilationH() + "x" + w.dilationW()
              + " not supported by " + s.unit() + ": supports " + s.pattern().dilations()))
          .orElse(Verdict.PASS));

  /**
   * An accelerator pads by masking at most a kernel's reach minus one on each side; more padding
   * means outputs that read no input at all, which the front end should have made an explicit Pad.
   */
  public static final DispatchRule PADDING = new DispatchRule("padding", (l, s) ->
      window(l).filter(w -> w.pads().top() >= reach(w.fy(), w.dilationH())
              || w.pads().bottom() >= reach(w.fy(), w.dilationH())
              || w.pads().left() >= reach(w.fx(), w.dilationW())
              || w.pads().right() >= reach(w.fx(), w.dilationW()))
          .<Verdict>map(w -> Verdict.reject("padding [" + w.pads().top() + "," + w.pads().left()
              + "," + w.pads().bottom() + "," + w.pads().right() + "] not supported by "
              + s.unit() + ": each side must be smaller than the kernel " + w.fy() + "x"
              + w.fx() + "; make the extra padding an explicit Pad"))
          .orElse(Verdict.PASS));

  /** Depthwise layers need a depthwise pattern; a channel multiplier other than 1 has none. */
  public static final DispatchRule DEPTHWISE = new DispatchRule("depthwise", (l, s) ->
      l.depthwise() && l.depthMultiplier() != 1
          ? Verdict.reject("depthwise channel multiplier " + l.depthMultiplier()
              + " not supported by " + s.unit() + " (depthwise " + s.pattern().depthwise()
              .map(d -> d.name().toLowerCase(Locale.ROOT)).orElse("?")
              + "): supports multiplier 1 only")
          : Verdict.PASS);

  public static final DispatchRule INPUT_DTYPE = new DispatchRule("input-dtype", (l, s) -> {
    for (Value v : activations(l)) {
      if (v.dtype() != DType.INT8) {
        return Verdict.reject("input dtype " + v.dtype().shortName() + " of " + name(v)
            + " not supported by " + s.unit() + ": takes i8 activations; quantize the model"
            + " to int8 (kiln quantize)");
      }
    }
    return Verdict.PASS;
  });

  /**
   * Arrays narrower than the activations (DIANA's analog core takes 7 bits) need them narrowed.
   * Only what enters the array counts: a fused residual Add's skip tensor joins in the digital
   * output stage.
   */
  public static final DispatchRule INPUT_BITS = new DispatchRule("input-bits", (l, s) -> {
    int bits = s.pattern().inputBits();
    for (Value v : arrayInputs(l)) {
      int have = v.dtype().bytes() * 8;
      // Float inputs are INPUT_DTYPE's to reject: narrowing (--ternarize) cannot help them.
      if (v.dtype().isInteger() && have > bits && !s.narrowInputs()) {
        return Verdict.reject("input bits " + have + " of " + name(v) + " exceed "
            + s.unit() + "'s " + bits + "-bit inputs; plan with --ternarize (which also"
            + " narrows the inputs of analog layers to " + bits + " bits, changing accuracy)");
      }
    }
    return Verdict.PASS;
  });

  /**
   * A unit that cannot cancel activation zero points ({@code zero_points: require_zero}) takes
   * only symmetric activations: the tensors its array reads (the input, an element-wise right
   * operand, a fused residual Add's skip tensor) must have zero point 0. A unit that folds them
   * ({@code fold}) takes any.
   */
  public static final DispatchRule ZERO_POINTS = new DispatchRule("zero-points", (l, s) -> {
    if (s.accelerator().zeroPoints() != io.kiln.target.Accelerator.ZeroPoints.REQUIRE_ZERO) {
      return Verdict.PASS;
    }
    for (Value v : activations(l)) {
      long zp = v.quant() instanceof io.kiln.ir.Quantization.PerTensor p ? p.zeroPoint() : 0;
      if (zp != 0) {
        return Verdict.reject("activation zero point " + zp + " of " + name(v)
            + " not supported by " + s.unit() + ": it requires zero points of 0"
            + " (zero_points: require_zero); quantize with symmetric activations");
      }
    }
    return Verdict.PASS;
  });

  /**
   * The weights' encoding against the formats the array holds: int8 cells hold dense int8 and
   * ternary weights alike; ternary (and int2/int4) cells hold ternary-encoded weights, and with
   * {@code --ternarize} dense int8 ones, which target-exact lowering then converts. N:M sparse
   * weights run on a unit whose {@code sparsity:} declares a format they follow ({@link
   * io.kiln.target.Sparsity#formatFor}) in a conv or fully-connected pattern of int8 cells;
   * elsewhere the CPU's sparse kernels take them.
   */
  public static final DispatchRule WEIGHT_FORMAT = new DispatchRule("weight-format", (l, s) -> {
    if (l.weights().isPresent()
        && l.weights().get().type().encoding() instanceof Encoding.NM nm) {
      io.kiln.target.Sparsity sp = s.accelerator().sparsity();
      if (!sp.declared()) {
        return Verdict.reject(nm + " sparse weights not supported by " + s.unit()
            + ": it declares no N:M format");
      }
      if (sp.formatFor(nm).isEmpty()) {
        return Verdict.reject(nm + " sparse weights not supported by " + s.unit()
            + ": it declares " + sp.describe() + ", none of which " + nm + " weights follow");
      }
      boolean sparseOp = s.pattern().op() == OpPattern.Op.CONV2D
          || s.pattern().op() == OpPattern.Op.FULLY_CONNECTED;
      if (!sparseOp || !s.pattern().weights().contains(WeightFormat.INT8)) {
        return Verdict.reject(nm + " sparse weights not supported by " + s.unit() + "'s "
            + s.pattern().name() + " pattern: N:M formats run on int8 conv and fully-connected"
            + " patterns");
      }
      return Verdict.PASS;
    }
    if (l.weights().isEmpty() || s.pattern().weights().isEmpty()) {
      return Verdict.PASS;
    }
    Value w = l.weights().get();
    if (w.dtype() != DType.INT8) {
      return Verdict.reject("weights dtype " + w.dtype().shortName() + " not supported by "
          + s.unit() + ": takes " + formats(s.pattern().weights()));
    }
    boolean ternary = w.type().encoding() instanceof Encoding.Ternary;
    for (WeightFormat f : s.pattern().weights()) {
      boolean holds = switch (f) {
        case INT8 -> true;
        case INT4, INT2 -> ternary;
        case TERNARY -> ternary || (s.narrowInputs() && !l.depthwise());
      };
      if (holds) {
        return Verdict.PASS;
      }
    }
    int[] r = l.weightRange().orElseThrow();
    String fix = s.pattern().weights().contains(WeightFormat.TERNARY)
        ? "; quantize the float model with 'kiln quantize --weights ternary', or plan with"
            + " --ternarize (changes accuracy)"
        : "";
    return Verdict.reject("weights are int8 (values " + r[0] + ".." + r[1] + ") but "
        + s.unit() + " takes only " + formats(s.pattern().weights()) + fix);
  });

  /** The main operator's output and every fused stage's. */
  public static final DispatchRule OUTPUT_DTYPE = new DispatchRule("output-dtype", (l, s) -> {
    List<Value> outs = new ArrayList<>(List.of(l.output()));
    l.fused().forEach(f -> outs.add(f.output()));
    for (Value v : outs) {
      if (!s.pattern().outputs().contains(v.dtype())) {
        return Verdict.reject("output dtype " + v.dtype().shortName()
            + (v == l.output() ? "" : " of " + name(v)) + " not supported by " + s.unit()
            + ": writes " + s.pattern().outputs().stream().map(DType::shortName)
            .collect(Collectors.joining(", ")));
      }
    }
    return Verdict.PASS;
  });

  /**
   * The requantization is the output's scale: fixed-point output stages take any ratio; shift-only
   * ones need every rescaling the operator does ({@link Requant}: input scale × weight scale /
   * output scale in every channel for a conv, each operand's scale / output scale for an Add, the
   * divisor of an average) to be a power of two. Operators that rescale nothing (max pooling, a
   * table-driven sigmoid) need no scheme at all.
   */
  public static final DispatchRule REQUANT_SCHEME = new DispatchRule("requant-scheme", (l, s) -> {
    if (l.output().dtype() == DType.INT32 || !l.output().dtype().isInteger()) {
      return Verdict.PASS;
    }
    if (Ternarization.applies(l, s)) {
      // The ternarized weights' scales are chosen to make every ratio a power of two.
      return Verdict.PASS;
    }
    List<Requant.Ratio> needs = Requant.of(l);
    List<RequantScheme> schemes = s.pattern().requant();
    if (schemes.contains(RequantScheme.FIXED_POINT)
        || (needs.isEmpty() && l.weights().isEmpty())) {
      return Verdict.PASS;
    }
    if (schemes.isEmpty()) {
      return Verdict.reject("requantization to " + l.output().dtype().shortName()
          + " not supported by " + s.unit() + ": it writes raw accumulators only");
    }
    return Requant.firstNonPowerOfTwo(needs).<Verdict>map(r -> Verdict.reject("requant scale "
        + r + " is not a power of two, but " + s.unit() + " requantizes by shift only; "
        + r.remedy())).orElse(Verdict.PASS);
  });

  /**
   * The activations the layer computes: the main operator's fused clamp (or, for a standalone
   * activation, its function) and each fused stage's clamp.
   */
  public static final DispatchRule ACTIVATION = new DispatchRule("activation", (l, s) -> {
    if (l.kind() == OpPattern.Op.ACTIVATION) {
      ActivationFn fn = l.function().orElseThrow();
      return s.pattern().activations().contains(fn) ? Verdict.PASS
          : Verdict.reject("activation " + fn.name().toLowerCase(Locale.ROOT)
              + " not supported by " + s.unit() + ": computes " + activationList(s));
    }
    Verdict main = clamp(l.activation(), "", s);
    if (main instanceof Verdict.Reject) {
      return main;
    }
    for (Layer.Fused f : l.fused()) {
      Verdict v = clamp(f.activation(), " of the fused " + f.stageName() + " %"
          + f.node().output(), s);
      if (v instanceof Verdict.Reject) {
        return v;
      }
    }
    return Verdict.PASS;
  });

  /**
   * The array is CHW or NHWC; either way the layer's activations must be images or vectors (a
   * matmul's operands: matrices with any leading batch dimensions).
   */
  public static final DispatchRule LAYOUT = new DispatchRule("layout", (l, s) -> {
    int rank = l.input().shape().rank();
    boolean ok = l.kind() == OpPattern.Op.MATMUL ? rank >= 2
        : l.window().isPresent() ? rank == 4 : rank == 2 || rank == 4;
    return ok ? Verdict.PASS : Verdict.reject("layout: rank-" + rank + " input not supported by "
        + s.unit() + " (" + s.accelerator().layout().name().toLowerCase(Locale.ROOT)
        + " layout needs 4-D images or 2-D vectors); reshape the model");
  });

  public static final DispatchRule CHANNEL_LIMITS = new DispatchRule("channel-limits", (l, s) -> {
    OpPattern p = s.pattern();
    if (p.maxInputChannels().isPresent() && l.inputChannels() > p.maxInputChannels().getAsInt()) {
      return Verdict.reject("input channels " + l.inputChannels() + " exceed " + s.unit()
          + "'s limit of " + p.maxInputChannels().getAsInt());
    }
    if (p.maxOutputChannels().isPresent()
        && l.outputChannels() > p.maxOutputChannels().getAsInt()
        && !s.accelerator().tiling().split().contains(LoopDim.K)) {
      return Verdict.reject("output channels " + l.outputChannels() + " exceed " + s.unit()
          + "'s limit of " + p.maxOutputChannels().getAsInt() + " and it cannot split K");
    }
    return Verdict.PASS;
  });

  /**
   * On an analog in-memory array the weights stay in the cells, so loops unrolled on an array
   * dimension that the tiler may not cut must fit it in one call: DIANA's analog rows take
   * C·FY·FX, and C cannot be split across calls. Digital arrays just iterate such loops in time.
   */
  public static final DispatchRule UNROLL_FITS = new DispatchRule("unroll-fits", (l, s) -> {
    if (s.accelerator().kind() != io.kiln.target.Accelerator.Kind.ANALOG_IMC) {
      return Verdict.PASS;
    }
    for (OpPattern.Unroll u : s.pattern().unroll()) {
      if (u.loops().stream().anyMatch(d -> s.accelerator().tiling().split().contains(d))) {
        continue;
      }
      long product = 1;
      for (LoopDim d : u.loops()) {
        product *= loop(l, d);
      }
      int size = s.accelerator().arrayDim(u.on()).map(a -> a.size()).orElse(Integer.MAX_VALUE);
      if (product > size) {
        return Verdict.reject(u.loops().stream().map(Enum::name).collect(Collectors.joining("·"))
            + " = " + product + " exceeds the " + size + " " + u.on() + " of " + s.unit()
            + ", which cannot split " + u.loops().get(0) + " across calls");
      }
    }
    return Verdict.PASS;
  });

  /**
   * The weights of one output channel must fit the weight memory (the tiler cuts K, if it may);
   * without a K split all of them must.
   */
  public static final DispatchRule WEIGHTS_FIT = new DispatchRule("weights-fit", (l, s) -> {
    if (l.weights().isEmpty()) {
      return Verdict.PASS;
    }
    MemoryLevel mem = s.accelerator().weightMemory().orElse(null);
    long capacity = mem != null ? mem.sizeBytes() : -1;
    String memName = mem != null ? mem.name() : s.accelerator().l1();
    if (mem == null) {
      return Verdict.PASS; // weights share L1 with activations: the tiler decides
    }
    int bits = s.pattern().weights().contains(WeightFormat.TERNARY)
        && !s.pattern().weights().contains(WeightFormat.INT8) ? 2 : 8;
    long total = ((long) l.weights().get().type().elements() * bits + 7) / 8;
    if (l.weights().get().type().encoding() instanceof Encoding.NM nm
        && s.accelerator().sparsity().formatFor(nm).isPresent()) {
      // Stored as the unit's format: the values and their offsets (io.kiln.plan.weights.NmTiles).
      Encoding.NM f = s.accelerator().sparsity().formatFor(nm).get();
      long length = l.weights().get().type().elements() / l.outputChannels();
      long stored = (long) l.outputChannels() * f.valuesPerRow((int) length);
      total = stored + (stored * s.accelerator().sparsity().offsetBits() + 7) / 8;
    }
    long perK = (total + l.outputChannels() - 1) / l.outputChannels();
    boolean splitK = s.accelerator().tiling().split().contains(LoopDim.K);
    if (total > capacity && (!splitK || perK > capacity)) {
      return Verdict.reject("weights of " + (splitK ? "one output channel (" + perK
          : "the layer (" + total) + " bytes) exceed " + s.unit() + "'s weight memory "
          + memName + " of " + capacity + " bytes");
    }
    return Verdict.PASS;
  });

  /** Element-wise units stream two equal tensors; broadcasting stays on the CPU. */
  public static final DispatchRule NO_BROADCAST = new DispatchRule("no-broadcast", (l, s) ->
      l.rhs().filter(r -> l.kind() != OpPattern.Op.MATMUL && !r.shape().equals(l.input().shape()))
          .<Verdict>map(r -> Verdict.reject("broadcast " + l.input().shape() + " with "
              + r.shape() + " not supported by " + s.unit() + ": operands must have equal"
              + " shapes"))
          .orElse(Verdict.PASS));

  /**
   * A matmul runs as one GEMM per batch: the left operand's rows stream through the array and the
   * right operand of that batch is loaded as the stationary matrix. So the unit takes TFLite's
   * BATCH_MATMUL (int8, requantized by TFLite's fixed-point stage; both zero points are exact in
   * the vector ALUs) whose left operand is not transposed and not broadcast across batches. The
   * IR's MatMul (ONNX MatMulInteger, QLinearMatMul) writes int32 accumulators that, for
   * QLinearMatMul, a Quantize requantizes in float with half-even rounding: not the unit's
   * fixed-point stage, so it stays on the CPU.
   */
  public static final DispatchRule MATMUL_OPERANDS = new DispatchRule("matmul-operands", (l, s) -> {
    if (l.kind() != OpPattern.Op.MATMUL) {
      return Verdict.PASS;
    }
    if (l.node().op() instanceof Op.MatMul) {
      return Verdict.reject("MatMul (ONNX MatMulInteger/QLinearMatMul: int32 accumulators"
          + " requantized by a float Quantize, half-even) not supported by " + s.unit()
          + ": its matmul requantizes in TFLite's fixed-point output stage, which rounds"
          + " differently; export BATCH_MATMUL int8 (TFLite) to run it there");
    }
    if (l.node().op() instanceof Op.BatchMatMul bm && bm.adjX()) {
      return Verdict.reject("adj_x (a transposed left operand) not supported by " + s.unit()
          + ": the array streams the rows of the left operand as they are stored");
    }
    if (l.rhs().orElseThrow().isConstant()) {
      return Verdict.reject("a constant right operand (weights) of a matmul not supported by " + s.unit()
          + ": its matmul loads the right operand from the activation arena; make it a"
          + " FULLY_CONNECTED layer");
    }
    int[] a = l.input().shape().dims();
    int[] o = l.output().shape().dims();
    boolean sameBatches = a.length == o.length;
    for (int i = 0; sameBatches && i < o.length - 2; i++) {
      sameBatches = a[i] == o[i];
    }
    if (!sameBatches) {
      return Verdict.reject("left operand " + l.input().shape() + " broadcast to the output's"
          + " batches " + l.output().shape() + " not supported by " + s.unit()
          + ": each batch streams its own rows");
    }
    return Verdict.PASS;
  });

  /** Every rule, in the order reports list their reasons. */
  public static final List<DispatchRule> ALL = List.of(KERNEL_SIZE, STRIDE, DILATION, PADDING,
      DEPTHWISE, INPUT_DTYPE, INPUT_BITS, ZERO_POINTS, WEIGHT_FORMAT, OUTPUT_DTYPE, REQUANT_SCHEME, ACTIVATION,
      LAYOUT, CHANNEL_LIMITS, UNROLL_FITS, WEIGHTS_FIT, NO_BROADCAST, FusedRules.FUSED_STAGES,
      FusedRules.FUSED_GEOMETRY, FusedRules.FUSED_REQUANT, MATMUL_OPERANDS);

  private static Optional<Layer.Window> window(Layer l) {
    return l.window();
  }

  /** A fused activation clamp {@code act} (of what {@code of} names) against the pattern. */
  private static Verdict clamp(Op.Activation act, String of, Site s) {
    if (act == Op.Activation.NONE) {
      return Verdict.PASS;
    }
    Optional<ActivationFn> fn = switch (act) {
      case RELU -> Optional.of(ActivationFn.RELU);
      case RELU6 -> Optional.of(ActivationFn.RELU6);
      case RELU_N1_TO_1 -> Optional.of(ActivationFn.CLIP);
      case TANH -> Optional.of(ActivationFn.TANH);
      case NONE, SIGN_BIT -> Optional.empty();
    };
    if (fn.isPresent() && s.pattern().activations().contains(fn.get())) {
      return Verdict.PASS;
    }
    return Verdict.reject("activation " + act.name().toLowerCase(Locale.ROOT) + of
        + " not supported by " + s.unit() + ": fuses " + activationList(s));
  }

  private static String activationList(Site s) {
    return s.pattern().activations().isEmpty() ? "none" : s.pattern().activations().stream()
        .map(a -> a.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
  }

  private static int reach(int f, int d) {
    return (f - 1) * d + 1;
  }

  private static String sizes(String set) {
    return set;
  }

  /** Every activation tensor the layer reads: input, right operand, fused skip tensors. */
  private static List<Value> activations(Layer l) {
    List<Value> vs = new ArrayList<>(arrayInputs(l));
    l.fused().forEach(f -> f.skip().ifPresent(vs::add));
    return vs;
  }

  /** The activations the compute array itself reads. */
  private static List<Value> arrayInputs(Layer l) {
    return l.rhs().map(r -> List.of(l.input(), r)).orElse(List.of(l.input()));
  }

  private static String name(Value v) {
    return "%" + v.id();
  }

  private static int loop(Layer l, LoopDim d) {
    int[] o = l.output().shape().dims();
    return switch (d) {
      case K -> l.outputChannels();
      case C -> l.inputChannels();
      case OY -> o.length == 4 ? o[1] : 1;
      case OX -> o.length == 4 ? o[2] : 1;
      case FY -> l.window().map(Layer.Window::fy).orElse(1);
      case FX -> l.window().map(Layer.Window::fx).orElse(1);
    };
  }

  private static String formats(List<WeightFormat> fs) {
    return fs.stream().map(f -> f.name().toLowerCase(Locale.ROOT)
        + (f == WeightFormat.TERNARY ? " {-1,0,+1}" : "")).collect(Collectors.joining(", "));
  }
}
