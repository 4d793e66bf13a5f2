package io.kiln.plan.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.RequantScheme;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.quant.ConvRequant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-channel records: their sizes, their values from the IR, and their place in a blob. */
class ChannelParamsTest {

  /** A 1x1 conv of 3 output channels whose weight scales are {@code wScales}. */
  static Graph conv(float[] wScales, double inScale, double outScale) {
    GraphBuilder b = new GraphBuilder("conv");
    int in = b.input("in", TensorType.quantized(DType.INT8, Shape.of(1, 2, 2, 2), inScale, 0));
    int w = b.constant("w", TensorType.of(DType.INT8, 3, 1, 1, 2)
        .withQuant(new Quantization.PerAxis(0, wScales, new long[3])), ConstData.ofInts(DType.INT8,
        new int[] {1, -2, 3, -4, 5, -6}));
    int bias = b.constant("b", TensorType.of(DType.INT32, 3), ConstData.ofInts(DType.INT32, new int[] {7, -8, 9}));
    int out = b.value("out", TensorType.quantized(DType.INT8, Shape.of(1, 2, 2, 3), outScale, 0));
    b.node(new Op.Conv2D(1, 1, 1, 1, new Op.Pads(0, 0, 0, 0), Op.Activation.NONE), List.of(in, w, bias),
        List.of(out));
    b.output(out);
    return b.build();
  }

  @Test
  void recordSizesFollowTheOutputStage() {
    assertThat(ChannelParams.Format.of(true, List.of(RequantScheme.FIXED_POINT, RequantScheme.SHIFT)).bytes())
        .isEqualTo(9);
    assertThat(ChannelParams.Format.of(false, List.of(RequantScheme.FIXED_POINT)).bytes()).isEqualTo(5);
    assertThat(ChannelParams.Format.of(true, List.of(RequantScheme.SHIFT)).bytes()).isEqualTo(5);
    assertThat(ChannelParams.Format.of(false, List.of(RequantScheme.SHIFT)).bytes()).isEqualTo(1);
    assertThat(ChannelParams.Format.of(true, List.of()).bytes()).isEqualTo(4);
    assertThat(ChannelParams.Format.of(false, List.of()).bytes()).isZero();
  }

  @Test
  void fixedPointRecordsAreTflitesMultipliersAndShifts() {
    float[] scales = {0.01f, 0.02f, 0.003f};
    Graph g = conv(scales, 0.05, 0.1);
    ChannelParams p = ChannelParams.of(g, g.nodes().get(0), new ChannelParams.Format(true,
        ChannelParams.Scheme.FIXED_POINT));
    ConvRequant rq = ConvRequant.convolution(g.value(0).type(), g.value(1).type(), g.value(3).type(), 3, "t");
    assertThat(p.bias()).containsExactly(7, -8, 9);
    assertThat(p.multipliers()).containsExactly(rq.multipliers());
    assertThat(p.shifts()).containsExactly(rq.shifts());
  }

  @Test
  void shiftOnlyRecordsHoldTheRightShiftOfEachPowerOfTwoRatio() {
    // in 2^-1 x w {2^-3, 2^-6, 2^-2} / out 2^-5 = {2^1, 2^-2, 2^2}: right shifts -1, 2, -2.
    Graph g = conv(new float[] {0.125f, 0.015625f, 0.25f}, 0.5, 0.03125);
    ChannelParams p = ChannelParams.of(g, g.nodes().get(0), new ChannelParams.Format(false,
        ChannelParams.Scheme.SHIFT));
    assertThat(p.shifts()).containsExactly(-1, 2, -2);
    assertThat(p.bias()).isEmpty();
    assertThat(p.multipliers()).isEmpty();
  }

  @Test
  void recordsRoundTripThroughTheBlobAfterTheAlignedWeights() {
    Graph g = conv(new float[] {0.01f, 0.02f, 0.003f}, 0.05, 0.1);
    ChannelParams.Format f = new ChannelParams.Format(true, ChannelParams.Scheme.FIXED_POINT);
    LayerConstants c = LayerConstants.of(g, g.nodes().get(0), f);
    LayerShape l = new LayerShape(3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, false);
    BlobLayout blob = new BlobLayout(new Arrangement.ArrayBlocks(l, 16, 1), f);
    // 16 x 2 weights, then 3 records of 9 bytes from byte 32.
    assertThat(blob.paramsOffset()).isEqualTo(32);
    assertThat(blob.bytes()).isEqualTo(32 + 27);
    assertThat(blob.paddingBytes()).isEqualTo(32 - 6);
    byte[] packed = blob.pack(c);
    assertThat(blob.unpack(packed)).isEqualTo(c);
    // Channel 1's record: bias -8, little-endian.
    assertThat(packed[32 + 9]).isEqualTo((byte) -8);
    assertThat(blob.paramSlice(new io.kiln.plan.tiling.Span(1, 2)))
        .contains(BlobSlice.contiguous(32 + 9, 18));
    assertThatThrownBy(() -> blob.pack(new LayerConstants(c.weights(), new ChannelParams(
        new ChannelParams.Format(false, ChannelParams.Scheme.SHIFT), new int[0], new int[0], new int[3]))))
        .hasMessageContaining("do not match");
  }

  @Test
  void aShiftBeyondTheRecordsByteIsRefused() {
    ChannelParams.Format f = new ChannelParams.Format(false, ChannelParams.Scheme.SHIFT);
    LayerShape l = new LayerShape(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, false);
    BlobLayout blob = new BlobLayout(new Arrangement.ModelOrder(l), f);
    assertThatThrownBy(() -> blob.pack(new LayerConstants(new int[] {1},
        new ChannelParams(f, new int[0], new int[0], new int[] {200}))))
        .hasMessageContaining("shift 200 does not fit");
  }
}
