package io.kiln.ir;

import java.util.List;

/** Which element types and quantizations each operator accepts; used by {@link Verifier}. */
final class OpTypeRules {
  private OpTypeRules() {}

  static void check(Op op, List<TensorType> ins, TensorType out, String where, List<String> p) {
    switch (op) {
      case Op.Conv2D c -> weighted(ins, out, 0, where, p);
      case Op.DepthwiseConv2D d -> weighted(ins, out, 3, where, p);
      case Op.FullyConnected f -> weighted(ins, out, 0, where, p);
      case Op.TransposeConv t -> weighted(ins, out, 0, where, p);
      case Op.Quantize q -> {
        if (!out.dtype().isInteger() || !out.quant().isQuantized()) {
          p.add(where + " output must be a quantized integer tensor");
        }
      }
      case Op.Dequantize d -> {
        if (out.dtype() != DType.FLOAT32 || !ins.get(0).quant().isQuantized()) {
          p.add(where + " must map a quantized tensor to float32");
        }
      }
      case Op.MatMul m -> {
        TensorType a = ins.get(0);
        TensorType b = ins.get(1);
        if (a.dtype() == DType.FLOAT32) {
          sameDType(a, out, where, p);
          sameDType(b, out, where, p);
        } else {
          accumulator(a, b, out, where, p);
        }
      }
      case Op.Cast c -> {
        if (ins.get(0).quant().isQuantized() || out.quant().isQuantized()) {
          p.add(where + " casts quantized tensors; use Quantize/Dequantize");
        }
      }
      case Op.Signal s -> SignalOp.checkTypes(s.kind(), ins, out, where, p);
      case Op.Svdf s -> RecurrentRules.svdfTypes(s, ins, out, where, p);
      case Op.UnidirectionalLstm l -> RecurrentRules.lstmTypes(l, ins, out, where, p);
      case Op.ShapeOf sh -> {
        if ((out.dtype() != DType.INT32 && out.dtype() != DType.INT64)
            || out.quant().isQuantized()) {
          p.add(where + " writes the shape as " + out.dtype().shortName()
              + ", expected unquantized i32 or i64");
        }
      }
      case Op.Gather ga -> {
        DType idx = ins.get(Op.Gather.INDICES).dtype();
        if (idx != DType.INT32 && idx != DType.INT64) {
          p.add(where + " indices are " + idx.shortName() + ", expected i32 or i64");
        }
        sameDType(ins.get(Op.Gather.INPUT), out, where, p);
      }
      case Op.Resize rs -> sameDType(ins.get(Op.Resize.INPUT), out, where, p);
      case Op.Reshape r -> sameDType(ins.get(0), out, where, p);
      case Op.Transpose t -> sameDType(ins.get(0), out, where, p);
      case Op.StridedSlice s -> sameDType(ins.get(0), out, where, p);
      case Op.Pad pad -> sameDType(ins.get(0), out, where, p);
      case Op.Softmax sm -> {
        // TFLite's int8 softmax may write int16 probabilities with zero point -32768.
        TensorType in = ins.get(0);
        boolean int8ToInt16 = in.dtype() == DType.INT8 && out.dtype() == DType.INT16;
        if (!int8ToInt16) {
          sameDType(in, out, where, p);
          activation(out, where, p);
        } else if (!(out.quant() instanceof Quantization.PerTensor)) {
          p.add(where + " int16 softmax output needs per-tensor quantization");
        }
        activation(in, where, p);
      }
      default -> {
        for (TensorType t : ins) {
          if (t != null) {
            sameDType(t, out, where, p);
            activation(t, where, p);
          }
        }
        activation(out, where, p);
      }
    }
  }

  /** conv/depthwise/fc/transpose-conv: (in, weights, bias, out) dtypes and per-channel scales. */
  private static void weighted(List<TensorType> ins, TensorType out, int channelAxis,
      String where, List<String> p) {
    TensorType in = ins.get(0);
    TensorType w = ins.get(1);
    TensorType bias = ins.size() > 2 ? ins.get(2) : null;
    DType a = in.dtype();
    if (out.dtype() == DType.INT32 && (a == DType.INT8 || a == DType.UINT8)) {
      accumulator(in, w, out, where, p);
      if (bias != null && bias.dtype() != DType.INT32) {
        p.add(where + " accumulator bias is " + bias.dtype().shortName() + ", expected i32");
      }
      return;
    }
    DType expectedW = a == DType.FLOAT32 ? DType.FLOAT32 : DType.INT8;
    DType expectedB = switch (a) {
      case FLOAT32 -> DType.FLOAT32;
      case INT16 -> DType.INT64;
      default -> DType.INT32;
    };
    if (a != DType.INT8 && a != DType.INT16 && a != DType.FLOAT32) {
      p.add(where + " has unsupported activation dtype " + a.shortName());
      return;
    }
    if (w.dtype() != expectedW && !(a == DType.FLOAT32 && w.dtype() == DType.INT8)) {
      p.add(where + " weights are " + w.dtype().shortName() + ", expected "
          + expectedW.shortName());
    }
    if (bias != null && bias.dtype() != expectedB
        && !(a == DType.INT16 && bias.dtype() == DType.INT32)) {
      p.add(where + " bias is " + bias.dtype().shortName() + ", expected "
          + expectedB.shortName());
    }
    if (out.dtype() != a) {
      p.add(where + " output is " + out.dtype().shortName() + " but input is " + a.shortName());
    }
    if (a.isInteger()) {
      activation(in, where, p);
      activation(out, where, p);
      int channels = w.shape().dim(channelAxis);
      if (w.quant() instanceof Quantization.PerAxis pa && pa.channels() != channels) {
        p.add(where + " weights have " + pa.channels() + " scales for " + channels + " channels");
      }
      if (!w.quant().isQuantized()) {
        p.add(where + " integer weights are not quantized");
      }
    }
  }

  /**
   * Integer operands producing raw int32 accumulators (ONNX ConvInteger/MatMulInteger, and the
   * first half of QLinearConv/QLinearMatMul): 8-bit operands whose quantization carries the zero
   * points that are subtracted before multiplying.
   */
  private static void accumulator(TensorType a, TensorType b, TensorType out, String where,
      List<String> p) {
    for (TensorType t : List.of(a, b)) {
      if (t.dtype() != DType.INT8 && t.dtype() != DType.UINT8) {
        p.add(where + " integer operand is " + t.dtype().shortName() + ", expected i8 or u8");
      } else if (!t.quant().isQuantized()) {
        p.add(where + " integer operand " + t.dtype().shortName() + t.shape()
            + " needs a quantization (its zero point)");
      }
    }
    if (!(a.quant() instanceof Quantization.PerTensor)) {
      p.add(where + " first operand needs per-tensor quantization");
    }
    if (out.dtype() != DType.INT32) {
      p.add(where + " integer operands must produce i32 accumulators, not "
          + out.dtype().shortName());
    }
  }

  private static void activation(TensorType t, String where, List<String> p) {
    if (t.dtype() == DType.INT8 || t.dtype() == DType.INT16 || t.dtype() == DType.UINT8) {
      if (!(t.quant() instanceof Quantization.PerTensor pt)) {
        p.add(where + " activation " + t.dtype().shortName() + t.shape()
            + " needs per-tensor quantization");
      } else if (t.dtype() == DType.INT16 && pt.zeroPoint() != 0) {
        p.add(where + " int16 activation has zero point " + pt.zeroPoint() + ", expected 0");
      } else if (!(pt.scale() > 0) || !Float.isFinite(pt.scale())) {
        p.add(where + " activation scale " + pt.scale() + " is not positive and finite");
      }
    }
  }

  private static void sameDType(TensorType in, TensorType out, String where, List<String> p) {
    if (in.dtype() != out.dtype()) {
      p.add(where + " maps " + in.dtype().shortName() + " to " + out.dtype().shortName());
    }
  }
}
