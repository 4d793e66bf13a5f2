package io.kiln.passes;

import static io.kiln.passes.PassTesting.f32;
import static io.kiln.passes.PassTesting.floats;
import static io.kiln.passes.PassTesting.i8;
import static io.kiln.passes.PassTesting.int32s;
import static io.kiln.passes.PassTesting.int8s;
import static io.kiln.passes.PassTesting.perAxis;

import io.kiln.ir.DType;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Op.Activation;
import io.kiln.ir.Op.Pads;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.passes.PassTesting.Agreement;
import java.util.List;
import org.junit.jupiter.api.Test;

class PadFoldingTest {
  private static final Pass PASS = new RulePass("fold-pad", Rules.FOLD_PAD);

  @Test
  void foldsSpatialPaddingIntoAQuantizedConv() {
    GraphBuilder b = new GraphBuilder("pad_conv_q");
    int x = b.input("x", i8(0.05, -7, 1, 6, 6, 3));
    int p = b.apply(new Op.Pad(List.of(0, 1, 2, 0), List.of(0, 2, 1, 0)), List.of(x), "padded",
        DType.INT8, Quantization.perTensor(0.05, -7));
    int w = b.constant("w", new TensorType(DType.INT8, Shape.of(4, 3, 3, 3), perAxis(0, 4)),
        int8s(1, 4 * 27));
    int bias = b.constant("b", TensorType.of(DType.INT32, 4), int32s(2, 4, 2000));
    b.output(b.apply(new Op.Conv2D(2, 1, 1, 1, new Pads(1, 0, 0, 1), Activation.NONE),
        List.of(p, w, bias), "y", DType.INT8, Quantization.perTensor(0.2, 5)));
    PassTesting.positive("fold-pad.quantized-conv", PASS, b.build(), Agreement.EXACT);
  }

  @Test
  void foldsSpatialPaddingIntoAFloatDepthwiseConv() {
    GraphBuilder b = new GraphBuilder("pad_dw_f");
    int x = b.input("x", f32(1, 5, 5, 2));
    int p = b.apply(new Op.Pad(List.of(0, 1, 1, 0), List.of(0, 1, 1, 0)), List.of(x), "padded",
        DType.FLOAT32, Quantization.NONE);
    int w = b.constant("w", f32(1, 3, 3, 4), floats(1, 36));
    b.output(b.apply(new Op.DepthwiseConv2D(1, 1, 1, 1, Pads.NONE, 2, Activation.RELU6),
        List.of(p, w), "y", DType.FLOAT32, Quantization.NONE));
    PassTesting.positive("fold-pad.float-depthwise", PASS, b.build(), Agreement.EXACT);
  }

  @Test
  void keepsChannelPaddingAndPadsWithOtherReaders() {
    GraphBuilder b = new GraphBuilder("pad_keep");
    int x = b.input("x", f32(1, 4, 4, 2));
    int pc = b.apply(new Op.Pad(List.of(0, 0, 0, 1), List.of(0, 0, 0, 1)), List.of(x),
        "channel_padded", DType.FLOAT32, Quantization.NONE);
    int w = b.constant("w", f32(2, 1, 1, 4), floats(1, 8));
    b.output(b.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.NONE), List.of(pc, w),
        "y1", DType.FLOAT32, Quantization.NONE));
    int ps = b.apply(new Op.Pad(List.of(0, 1, 1, 0), List.of(0, 1, 1, 0)), List.of(x),
        "shared_pad", DType.FLOAT32, Quantization.NONE);
    b.output(ps);
    int w2 = b.constant("w2", f32(2, 3, 3, 2), floats(2, 36));
    b.output(b.apply(new Op.Conv2D(1, 1, 1, 1, Pads.NONE, Activation.NONE), List.of(ps, w2),
        "y2", DType.FLOAT32, Quantization.NONE));
    PassTesting.negative("fold-pad.negative", PASS, b.build());
  }
}
