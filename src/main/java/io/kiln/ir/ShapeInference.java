package io.kiln.ir;

import io.kiln.KilnException;
import io.kiln.ir.Op.Pads;
import java.util.List;

/** Computes the output shape of every operator from its input types and attributes. */
public final class ShapeInference {
  private ShapeInference() {}

  /**
   * Output shape of {@code op} applied to {@code inputs} ({@code null} entries are absent
   * optional inputs). Throws {@link KilnException} naming the inconsistency.
   */
  public static Shape infer(Op op, List<TensorType> inputs) {
    return switch (op) {
      case Op.Conv2D c -> {
        Shape in = rank(op, inputs, 0, 4);
        Shape f = rank(op, inputs, 1, 4);
        int groups = f.dim(3) == 0 ? 0 : in.dim(3) / f.dim(3);
        if (f.dim(3) == 0 || in.dim(3) % f.dim(3) != 0 || groups == 0 || f.dim(0) % groups != 0) {
          throw bad(op, "filter " + f + " does not match input " + in);
        }
        yield Shape.of(in.dim(0),
            window(op, in.dim(1), f.dim(1), c.strideH(), c.dilationH(), c.pads().top(),
                c.pads().bottom()),
            window(op, in.dim(2), f.dim(2), c.strideW(), c.dilationW(), c.pads().left(),
                c.pads().right()),
            f.dim(0));
      }
      case Op.DepthwiseConv2D d -> {
        Shape in = rank(op, inputs, 0, 4);
        Shape f = rank(op, inputs, 1, 4);
        if (f.dim(0) != 1 || f.dim(3) != in.dim(3) * d.depthMultiplier()) {
          throw bad(op, "filter " + f + " does not match input " + in + " with depth multiplier "
              + d.depthMultiplier());
        }
        yield Shape.of(in.dim(0),
            window(op, in.dim(1), f.dim(1), d.strideH(), d.dilationH(), d.pads().top(),
                d.pads().bottom()),
            window(op, in.dim(2), f.dim(2), d.strideW(), d.dilationW(), d.pads().left(),
                d.pads().right()),
            f.dim(3));
      }
      case Op.FullyConnected fc -> {
        Shape in = shape(op, inputs, 0);
        Shape w = rank(op, inputs, 1, 2);
        int depth = w.dim(1);
        if (depth == 0 || in.elements() % depth != 0) {
          throw bad(op, "input " + in + " is not a multiple of weights depth " + depth);
        }
        if (fc.keepNumDims()) {
          if (in.dim(-1) != depth) {
            throw bad(op, "keep_num_dims needs the input's last dimension to be " + depth);
          }
          yield in.withDim(in.rank() - 1, w.dim(0));
        }
        yield Shape.of(in.elements() / depth, w.dim(0));
      }
      case Op.TransposeConv t -> {
        Shape in = rank(op, inputs, 0, 4);
        Shape f = rank(op, inputs, 1, 4);
        Shape out = t.outputShape();
        if (out.rank() != 4 || out.dim(0) != in.dim(0) || out.dim(3) != f.dim(0)
            || f.dim(3) != in.dim(3)) {
          throw bad(op, "output shape " + out + " does not match input " + in + " and filter " + f);
        }
        yield out;
      }
      case Op.AveragePool2D p -> pool(op, inputs, p.filterH(), p.filterW(), p.strideH(),
          p.strideW(), p.pads());
      case Op.MaxPool2D p -> pool(op, inputs, p.filterH(), p.filterW(), p.strideH(), p.strideW(),
          p.pads());
      case Op.Add a -> broadcast(op, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.Sub s -> broadcast(op, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.Mul m -> broadcast(op, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.Reshape r -> {
        Shape in = shape(op, inputs, 0);
        if (in.elements() != r.newShape().elements()) {
          throw bad(op, "cannot reshape " + in + " (" + in.elements() + " elements) to "
              + r.newShape());
        }
        yield r.newShape();
      }
      case Op.Softmax s -> shape(op, inputs, 0);
      case Op.Quantize q -> shape(op, inputs, 0);
      case Op.Dequantize d -> shape(op, inputs, 0);
      case Op.LeakyRelu l -> shape(op, inputs, 0);
      case Op.Relu r -> shape(op, inputs, 0);
      case Op.Relu6 r -> shape(op, inputs, 0);
      case Op.Logistic l -> shape(op, inputs, 0);
      case Op.Tanh t -> shape(op, inputs, 0);
      case Op.Pad p -> {
        Shape in = shape(op, inputs, 0);
        if (p.before().size() != in.rank() || p.after().size() != in.rank()) {
          throw bad(op, "paddings for rank " + p.before().size() + " on input " + in);
        }
        int[] d = in.dims();
        for (int i = 0; i < d.length; i++) {
          if (p.before().get(i) < 0 || p.after().get(i) < 0) {
            throw bad(op, "negative padding");
          }
          d[i] += p.before().get(i) + p.after().get(i);
        }
        yield Shape.of(d);
      }
      case Op.StridedSlice s -> StridedSliceGeometry.of(s, shape(op, inputs, 0)).outputShape();
      case Op.Concatenation c -> {
        Shape first = shape(op, inputs, 0);
        if (c.axis() < 0 || c.axis() >= first.rank()) {
          throw bad(op, "axis " + c.axis() + " out of range for " + first);
        }
        int total = 0;
        for (int i = 0; i < inputs.size(); i++) {
          Shape s = shape(op, inputs, i);
          if (s.rank() != first.rank()) {
            throw bad(op, "inputs of different rank: " + first + " and " + s);
          }
          for (int a = 0; a < s.rank(); a++) {
            if (a != c.axis() && s.dim(a) != first.dim(a)) {
              throw bad(op, "inputs " + first + " and " + s + " differ outside axis " + c.axis());
            }
          }
          total += s.dim(c.axis());
        }
        yield first.withDim(c.axis(), total);
      }
      case Op.Mean m -> {
        Shape in = shape(op, inputs, 0);
        int[] d = in.dims();
        int kept = 0;
        int[] out = new int[d.length];
        for (int a = 0; a < d.length; a++) {
          if (m.axes().contains(a)) {
            if (m.keepDims()) {
              out[kept++] = 1;
            }
          } else {
            out[kept++] = d[a];
          }
        }
        for (int a : m.axes()) {
          if (a < 0 || a >= d.length) {
            throw bad(op, "axis " + a + " out of range for " + in);
          }
        }
        yield Shape.of(java.util.Arrays.copyOf(out, kept));
      }
      case Op.Div d -> broadcast(op, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.Maximum m -> broadcast(op, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.Minimum m -> broadcast(op, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.Pow pw -> broadcast(op, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.PRelu pr -> {
        Shape in = shape(op, inputs, 0);
        if (!broadcast(op, in, shape(op, inputs, 1)).equals(in)) {
          throw bad(op, "slope " + shape(op, inputs, 1) + " does not broadcast to input " + in);
        }
        yield in;
      }
      case Op.Clip c -> shape(op, inputs, 0);
      case Op.HardSigmoid h -> shape(op, inputs, 0);
      case Op.HardSwish h -> shape(op, inputs, 0);
      case Op.Elu e -> shape(op, inputs, 0);
      case Op.Abs a -> shape(op, inputs, 0);
      case Op.Neg ng -> shape(op, inputs, 0);
      case Op.Exp e -> shape(op, inputs, 0);
      case Op.Log l -> shape(op, inputs, 0);
      case Op.Sqrt s -> shape(op, inputs, 0);
      case Op.Identity i -> shape(op, inputs, 0);
      case Op.Cast c -> shape(op, inputs, 0);
      case Op.Signal s -> s.kind().inferShape(inputs);
      case Op.Svdf s -> RecurrentRules.svdfShape(s, inputs);
      case Op.UnidirectionalLstm l -> RecurrentRules.lstmShape(l, inputs);
      case Op.BatchNorm b -> {
        Shape in = shape(op, inputs, 0);
        if (in.rank() == 0) {
          throw bad(op, "input is a scalar");
        }
        for (int slot = Op.BatchNorm.SCALE; slot <= Op.BatchNorm.VARIANCE; slot++) {
          Shape p = shape(op, inputs, slot);
          if (p.rank() != 1 || p.dim(0) != in.dim(-1)) {
            throw bad(op, "parameter " + slot + " has shape " + p + ", expected [" + in.dim(-1)
                + "]");
          }
        }
        yield in;
      }
      case Op.MatMul m -> matmul(op, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.ShapeOf sh -> Shape.of(shape(op, inputs, 0).rank());
      case Op.Gather ga -> gather(ga, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.Resize rs -> {
        Shape in = rank(op, inputs, 0, 4);
        if (rs.height() <= 0 || rs.width() <= 0 || (rs.alignCorners() && rs.halfPixelCenters())) {
          throw bad(op, "output size " + rs.height() + "x" + rs.width()
              + (rs.alignCorners() && rs.halfPixelCenters()
                  ? " with both align_corners and half_pixel_centers" : " is not positive"));
        }
        yield Shape.of(in.dim(0), rs.height(), rs.width(), in.dim(3));
      }
      case Op.BatchMatMul bm -> batchMatmul(bm, shape(op, inputs, 0), shape(op, inputs, 1));
      case Op.Transpose t -> {
        Shape in = shape(op, inputs, 0);
        if (t.perm().size() != in.rank()) {
          throw bad(op, "permutation " + t.perm() + " for input " + in);
        }
        int[] out = new int[in.rank()];
        boolean[] seen = new boolean[in.rank()];
        for (int i = 0; i < out.length; i++) {
          int p = t.perm().get(i);
          if (p < 0 || p >= in.rank() || seen[p]) {
            throw bad(op, "invalid permutation " + t.perm());
          }
          seen[p] = true;
          out[i] = in.dim(p);
        }
        yield Shape.of(out);
      }
    };
  }

  /** Output length of a sliding window: (in + pads - effective kernel) / stride + 1. */
  public static int window(Op op, int in, int k, int stride, int dilation, int padBefore,
      int padAfter) {
    if (stride <= 0 || dilation <= 0) {
      throw bad(op, "stride " + stride + " and dilation " + dilation + " must be positive");
    }
    long eff = (long) (k - 1) * dilation + 1;
    long span = (long) in + padBefore + padAfter - eff;
    if (k <= 0 || span < 0) {
      throw bad(op, "window of " + k + " (dilation " + dilation + ") does not fit input of " + in
          + " with padding " + padBefore + "+" + padAfter);
    }
    return (int) (span / stride + 1);
  }

  /** Numpy-style broadcast of two shapes. */
  public static Shape broadcast(Op op, Shape a, Shape b) {
    int rank = Math.max(a.rank(), b.rank());
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i < rank - a.rank() ? 1 : a.dim(i - (rank - a.rank()));
      int db = i < rank - b.rank() ? 1 : b.dim(i - (rank - b.rank()));
      if (da != db && da != 1 && db != 1) {
        throw bad(op, "shapes " + a + " and " + b + " do not broadcast");
      }
      out[i] = da == 1 ? db : da;
    }
    return Shape.of(out);
  }

  /** Numpy matmul shape: promote rank-1 operands, broadcast the batch dimensions. */
  public static Shape matmul(Op op, Shape a, Shape b) {
    if (a.rank() == 0 || b.rank() == 0) {
      throw bad(op, "operands " + a + " and " + b + " must not be scalars");
    }
    Shape a2 = a.rank() == 1 ? Shape.of(1, a.dim(0)) : a;
    Shape b2 = b.rank() == 1 ? Shape.of(b.dim(0), 1) : b;
    if (a2.dim(-1) != b2.dim(-2)) {
      throw bad(op, "inner dimensions of " + a + " and " + b + " differ");
    }
    Shape batch = broadcast(op, Shape.of(java.util.Arrays.copyOf(a2.dims(), a2.rank() - 2)),
        Shape.of(java.util.Arrays.copyOf(b2.dims(), b2.rank() - 2)));
    int[] out = java.util.Arrays.copyOf(batch.dims(), batch.rank() + 2);
    out[batch.rank()] = a2.dim(-2);
    out[batch.rank() + 1] = b2.dim(-1);
    int[] kept = new int[out.length];
    int k = 0;
    for (int i = 0; i < out.length; i++) {
      boolean droppedRow = a.rank() == 1 && i == out.length - 2;
      boolean droppedCol = b.rank() == 1 && i == out.length - 1;
      if (!droppedRow && !droppedCol) {
        kept[k++] = out[i];
      }
    }
    return Shape.of(java.util.Arrays.copyOf(kept, k));
  }

  /** TFLM's gather output: input dims before the axis, index dims after the batch, the rest. */
  private static Shape gather(Op.Gather op, Shape in, Shape idx) {
    int axis = op.axis();
    int b = op.batchDims();
    if (axis >= in.rank() || b > axis || b > idx.rank()) {
      throw bad(op, "axis " + axis + " and batch_dims " + b + " do not fit input " + in
          + " and indices " + idx);
    }
    int[] out = new int[in.rank() + idx.rank() - 1 - b];
    int k = 0;
    for (int i = 0; i < axis; i++) {
      if (i < b && in.dim(i) != idx.dim(i)) {
        throw bad(op, "batch dimension " + i + " of input " + in + " and indices " + idx
            + " differ");
      }
      out[k++] = in.dim(i);
    }
    for (int i = b; i < idx.rank(); i++) {
      out[k++] = idx.dim(i);
    }
    for (int i = axis + 1; i < in.rank(); i++) {
      out[k++] = in.dim(i);
    }
    return Shape.of(out);
  }

  /** BATCH_MATMUL: ranks 2 to 5, broadcast leading dimensions, rows of lhs by columns of rhs. */
  private static Shape batchMatmul(Op.BatchMatMul op, Shape a, Shape b) {
    if (a.rank() < 2 || a.rank() > 5 || b.rank() < 2 || b.rank() > 5) {
      throw bad(op, "operands " + a + " and " + b + " must have rank 2 to 5");
    }
    int rows = op.adjX() ? a.dim(-1) : a.dim(-2);
    int depthA = op.adjX() ? a.dim(-2) : a.dim(-1);
    int depthB = op.adjY() ? b.dim(-1) : b.dim(-2);
    int cols = op.adjY() ? b.dim(-2) : b.dim(-1);
    if (depthA != depthB) {
      throw bad(op, "inner dimensions of " + a + " and " + b + " differ (adj_x " + op.adjX()
          + ", adj_y " + op.adjY() + ")");
    }
    Shape batch = broadcast(op, Shape.of(java.util.Arrays.copyOf(a.dims(), a.rank() - 2)),
        Shape.of(java.util.Arrays.copyOf(b.dims(), b.rank() - 2)));
    int[] out = java.util.Arrays.copyOf(batch.dims(), batch.rank() + 2);
    out[batch.rank()] = rows;
    out[batch.rank() + 1] = cols;
    return Shape.of(out);
  }

  private static Shape pool(Op op, List<TensorType> inputs, int fh, int fw, int sh, int sw,
      Pads pads) {
    Shape in = rank(op, inputs, 0, 4);
    return Shape.of(in.dim(0), window(op, in.dim(1), fh, sh, 1, pads.top(), pads.bottom()),
        window(op, in.dim(2), fw, sw, 1, pads.left(), pads.right()), in.dim(3));
  }

  private static Shape shape(Op op, List<TensorType> inputs, int slot) {
    if (slot >= inputs.size() || inputs.get(slot) == null) {
      throw bad(op, "missing input " + slot);
    }
    return inputs.get(slot).shape();
  }

  private static Shape rank(Op op, List<TensorType> inputs, int slot, int rank) {
    Shape s = shape(op, inputs, slot);
    if (s.rank() != rank) {
      throw bad(op, "input " + slot + " has shape " + s + ", expected rank " + rank);
    }
    return s;
  }

  private static KilnException bad(Op op, String why) {
    return new KilnException(op.opName() + ": " + why);
  }
}
