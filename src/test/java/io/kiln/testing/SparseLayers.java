package io.kiln.testing;

import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.passes.NmRecognition;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.Sparsity;
import io.kiln.target.Targets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded N:M pruned layers with power-of-two scales (so DIANA's shift-only digital array takes
 * them), and the diana description with N:M support switched on for its digital unit.
 */
public final class SparseLayers {
  private SparseLayers() {}

  /** 1:4, 1:8 and 1:16 with 4-bit offsets, skipping zeros: what the sparse benchmarks plan on. */
  public static final Sparsity DIGITAL = new Sparsity(List.of(new Encoding.NM(1, 4), new Encoding.NM(1, 8),
      new Encoding.NM(1, 16)), 4, true);

  /** The lines of the digital unit's {@code sparsity:} field that give it {@link #DIGITAL}. */
  public static final String DIGITAL_YAML = "    # N:M sparse weights (not in the published DIANA): int8 values and 4-bit offsets,\n"
      + "    # one group's N values per reduction step.\n"
      + "    sparsity:\n      formats: [1:4, 1:8, 1:16]\n      offset_bits: 4\n      skip_zeros: true\n";

  /** Where the digital unit's sparsity block goes in the diana preset: after its weight layout. */
  public static final String ANCHOR = "    weight_layout: array_blocks\n";

  /** The commented diana preset with {@code block} (the lines of a {@code sparsity:} field) on its digital unit. */
  public static String dianaYaml(String block) {
    String diana = io.kiln.target.Presets.commentedYaml("diana").orElseThrow();
    if (!diana.contains(ANCHOR)) {
      throw new IllegalStateException("the diana preset no longer has '" + ANCHOR.strip() + "'");
    }
    return diana.replaceFirst(java.util.regex.Pattern.quote(ANCHOR),
        java.util.regex.Matcher.quoteReplacement(ANCHOR + block));
  }

  /** diana with {@link #DIGITAL} on its digital unit. */
  public static HardwareDescription diana() {
    return withSparsity(Targets.resolve("diana"), DIGITAL);
  }

  /** {@code hw} with {@code s} on its accelerator named digital. */
  public static HardwareDescription withSparsity(HardwareDescription hw, Sparsity s) {
    List<Accelerator> accs = new ArrayList<>();
    for (Accelerator a : hw.accelerators()) {
      accs.add(a.name().equals("digital") ? a.withSparsity(s) : a);
    }
    return new HardwareDescription(hw.name(), hw.description(), hw.clockHz(), hw.memories(), hw.dmas(), hw.cpu(),
        accs);
  }

  /**
   * {@code rows} channels of {@code length} int8 weights following {@code f}: in each group one to N
   * non-zeros (or, now and then, none: a group whose kept weight is 0), in [-40, 40].
   */
  public static int[] weights(Random r, int rows, int length, Encoding.NM f) {
    int[] w = new int[rows * length];
    for (int row = 0; row < rows; row++) {
      for (int g = 0; g < length; g += f.m()) {
        int size = Math.min(f.m(), length - g);
        int kept = r.nextInt(8) == 0 ? 0 : 1 + r.nextInt(Math.min(f.n(), size));
        for (int i = 0; i < kept; i++) {
          int at = row * length + g + r.nextInt(size);
          w[at] = r.nextInt(81) - 40;
        }
      }
    }
    return w;
  }

  /**
   * One N:M pruned layer: a {@code f}×{@code f} conv (stride 1, padding f/2) over an h×w×c image,
   * or (h == 0) a fully-connected layer of c inputs, with k outputs, ReLU or none; scales are
   * powers of two, the bias random. N:M recognition has run.
   */
  public static Graph layer(Random r, Encoding.NM nm, int h, int w, int c, int k, int f) {
    GraphBuilder b = new GraphBuilder("nm");
    boolean fc = h == 0;
    int x = b.input("x", TensorType.quantized(DType.INT8, fc ? Shape.of(1, c) : Shape.of(1, h, w, c), 0.5, 0));
    int length = fc ? c : f * f * c;
    float[] ws = new float[k];
    Arrays.fill(ws, 1f / 64);
    Shape wShape = fc ? Shape.of(k, c) : Shape.of(k, f, f, c);
    int wid = b.constant("w", new TensorType(DType.INT8, wShape, new Quantization.PerAxis(0, ws, new long[k])),
        ConstData.ofInts(DType.INT8, weights(r, k, length, nm)));
    float[] bs = new float[k];
    Arrays.fill(bs, 1f / 128);
    int[] bias = new int[k];
    for (int i = 0; i < k; i++) {
      bias[i] = r.nextInt(2001) - 1000;
    }
    int bid = b.constant("b", new TensorType(DType.INT32, Shape.of(k), new Quantization.PerAxis(0, bs, new long[k])),
        ConstData.ofInts(DType.INT32, bias));
    Op.Activation act = r.nextBoolean() ? Op.Activation.RELU : Op.Activation.NONE;
    Op op = fc ? new Op.FullyConnected(act, false)
        : new Op.Conv2D(1, 1, 1, 1, new Op.Pads(f / 2, f / 2, f / 2, f / 2), act);
    int y = b.apply(op, List.of(x, wid, bid), "y", DType.INT8, new Quantization.PerTensor(0.25f, 0));
    b.output(y);
    return NmRecognition.apply(b.build());
  }
}
