package io.kiln.target;

import com.fasterxml.jackson.databind.JsonNode;
import io.kiln.ir.DType;
import io.kiln.ir.Requant;
import io.kiln.ir.RequantScheme;
import io.kiln.target.Accelerator.DepthwiseSupport;
import io.kiln.target.OpPattern.Unroll;
import java.util.List;
import java.util.Optional;

/**
 * Reads one operator pattern of an accelerator ({@code patterns:} items) into a validated
 * {@link OpPattern}: the fields its operator can have, the output stage (schemes, shift rounding,
 * output bits) and its limits; {@link HardwareLoader} checks it against the rest.
 */
final class PatternLoader {
  private PatternLoader() {}

  static OpPattern read(YamlFields f) {
    String name = f.string("name");
    OpPattern.Op op = f.enumValue("op", OpPattern.Op.class);
    List<Unroll> unroll = f.objects("unroll", u -> new Unroll(
        u.enumList("loops", LoopDim.class, null), u.string("on"), u.intValue("factor", 1, 0)));
    for (int i = 0; i < unroll.size(); i++) {
      if (unroll.get(i).loops().isEmpty()) {
        throw f.errorAt(f.pathOf("unroll") + "[" + i + "].loops", "must name at least one loop");
      }
    }
    IntSet kernels = IntSet.ANY;
    IntSet strides = IntSet.ANY;
    IntSet dilations = IntSet.of(1);
    if (op.hasWindow()) {
      kernels = f.intSet("kernel_sizes", kernels);
      strides = f.intSet("strides", strides);
      dilations = f.intSet("dilations", dilations);
    } else {
      rejectField(f, "kernel_sizes", op, "has no window");
      rejectField(f, "strides", op, "has no window");
      rejectField(f, "dilations", op, "has no window");
    }
    Optional<DepthwiseSupport> depthwise = Optional.empty();
    if (op == OpPattern.Op.DEPTHWISE_CONV2D) {
      DepthwiseSupport mode = f.enumValue("depthwise", DepthwiseSupport.class);
      if (mode == DepthwiseSupport.UNSUPPORTED) {
        throw f.error("depthwise", "a depthwise pattern must be native or emulated; remove the "
            + "pattern to leave depthwise layers to other units");
      }
      depthwise = Optional.of(mode);
    } else {
      rejectField(f, "depthwise", op, "is not a depthwise conv");
    }
    List<OpPattern.WeightFormat> weights = List.of();
    if (op.hasWeights()) {
      if (!f.has("weights")) {
        throw f.error("weights", "missing field (the weight formats "
            + YamlFields.yamlName(op) + " accepts, e.g. [int8])");
      }
      weights = f.enumList("weights", OpPattern.WeightFormat.class, null);
      if (weights.isEmpty()) {
        throw f.error("weights", "must list at least one weight format");
      }
    } else {
      rejectField(f, "weights", op, "has no weights");
    }
    int inputBits = f.intValue("input_bits", 1, 8);
    if (inputBits > 16) {
      throw f.error("input_bits", "must be at most 16, got " + inputBits);
    }
    List<DType> outputs = f.list("outputs", (item, itemPath) -> parseDType(f, item, itemPath));
    List<RequantScheme> requant =
        f.enumList("requant", RequantScheme.class, List.of());
    if (requant.contains(RequantScheme.FLOAT_HALF_EVEN)) {
      throw f.error("requant", "float_half_even is ONNX's float rounding, which no output stage"
          + " implements (allowed: fixed_point, shift)");
    }
    Optional<Requant.Rounding> rounding = Optional.empty();
    if (requant.contains(RequantScheme.SHIFT)) {
      if (!f.has("shift_rounding")) {
        throw f.error("shift_rounding", "missing field (how the shift-only output stage rounds:"
            + " floor or half_up)");
      }
      rounding = Optional.of(f.enumValue("shift_rounding", Requant.Rounding.class));
    } else {
      rejectField(f, "shift_rounding", op, "has no shift output stage here (requant lists no"
          + " shift)");
    }
    int outputBits = f.intValue("output_bits", 2, 8);
    if (outputBits > 8) {
      throw f.error("output_bits", "must be at most 8, got " + outputBits);
    }
    List<OpPattern.ActivationFn> activations =
        f.enumList("activations", OpPattern.ActivationFn.class, List.of());
    List<OpPattern.FusedStage> fuses = f.enumList("fuses", OpPattern.FusedStage.class, List.of());
    var maxC = f.optionalInt("max_input_channels", 1);
    var maxK = f.optionalInt("max_output_channels", 1);
    return new OpPattern(name, op, unroll, kernels, strides, dilations, depthwise, weights,
        inputBits, outputs, requant, activations, fuses, maxC, maxK, rounding, outputBits);
  }

  private static void rejectField(YamlFields f, String key, OpPattern.Op op, String why) {
    if (f.has(key)) {
      throw f.error(key, "not allowed: " + YamlFields.yamlName(op) + " " + why);
    }
  }

  private static DType parseDType(YamlFields f, JsonNode item, String itemPath) {
    List<DType> allowed = List.of(DType.INT8, DType.INT16, DType.INT32);
    for (DType d : allowed) {
      if (item.isTextual() && YamlFields.yamlName(d).equals(item.asText().strip())) {
        return d;
      }
    }
    throw f.errorAt(itemPath, "unknown value " + YamlFields.describe(item) + " (allowed: "
        + String.join(", ", allowed.stream().map(YamlFields::yamlName).toList()) + ")");
  }

}
