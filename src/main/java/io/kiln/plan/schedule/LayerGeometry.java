package io.kiln.plan.schedule;

import io.kiln.ir.BatchMatMulLayout;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.Value;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.target.OpPattern;
import java.util.List;
import java.util.Optional;

/**
 * The loop nest of a tileable IR node as the tiler sees it, with what the planner needs besides:
 * which accelerator operator it is, its dtypes, and whether its weights are ternary-valued. A
 * fully-connected layer is the 1×1 case over a 1×batch image; pooling is a depthwise window
 * without weights; an element-wise operator or a standalone activation is a 1×1 depthwise window
 * without weights over its (rows, columns, channels), the right operand of Add/Mul a second input
 * streamed with the output.
 *
 * <p>Stages fused into a convolution's output stage change the nest: a residual Add brings the
 * skip tensor in as that second operand, and a pooling reduces whole windows of conv outputs, so
 * the conv output rows and columns no window reads are not computed at all (the nest stops at the
 * last whole window) and the output written back is pooled.
 *
 * @param ternaryWeights every weight value is in {-1, 0, +1}, so a ternary array can hold it in
 *     2 bits
 * @param operandType the dtype of the second operand, if the layer has one
 * @param operandRows rows of the tensor the second operand tiles are cut from (its columns are
 *     {@code operandCols}); the DMA reads its tiles there
 * @param poolY pooling window (= stride) height of a fused pooling; 1 without one
 * @param poolX pooling window (= stride) width of a fused pooling; 1 without one
 * @param nmWeights the N:M encoding of the weights (from recognition or lowering), if sparse; a
 *     unit stores them so only if it declares a format they follow ({@code ProblemBuilder})
 */
public record LayerGeometry(LayerShape shape, OpPattern.Op op, boolean hasWeights, boolean hasBias, DType inputType,
    DType outputType, boolean ternaryWeights, Optional<DType> operandType, int operandRows, int operandCols,
    int poolY, int poolX, Optional<io.kiln.ir.Encoding.NM> nmWeights, Optional<BatchMatMulLayout> matmul) {

  /** The same geometry without a matmul's right operand: every layer but a matmul. */
  public LayerGeometry(LayerShape shape, OpPattern.Op op, boolean hasWeights, boolean hasBias, DType inputType,
      DType outputType, boolean ternaryWeights, Optional<DType> operandType, int operandRows, int operandCols,
      int poolY, int poolX, Optional<io.kiln.ir.Encoding.NM> nmWeights) {
    this(shape, op, hasWeights, hasBias, inputType, outputType, ternaryWeights, operandType, operandRows,
        operandCols, poolY, poolX, nmWeights, Optional.empty());
  }

  /**
   * Whether the weights are an activation (a matmul's right operand, in the arena) rather than a
   * constant blob: they are loaded from L2 by DMA like an input.
   */
  public boolean dynamicWeights() {
    return matmul.isPresent();
  }

  /**
   * Whether each output row has weights of its own: a matmul of several batches (its rows), each
   * with its own right operand, so every batch is its own GEMM and a tile holds one batch.
   */
  public boolean weightsPerRow() {
    if (matmul.isEmpty()) {
      return false;
    }
    int[] b = matmul.get().rhsBatch();
    return java.util.Arrays.stream(b).anyMatch(o -> o != b[0]);
  }

  /** The geometry of {@code n}, or empty (with no reason needed) when it is not a tileable layer. */
  static Optional<LayerGeometry> of(Graph g, Node n) {
    return of(g, n, List.of());
  }

  /**
   * The geometry of {@code n} with the {@code fused} nodes (in dataflow order) in its output stage.
   *
   * @throws IllegalArgumentException when a fused stage cannot be expressed (the message says why)
   */
  public static Optional<LayerGeometry> of(Graph g, Node n, List<Node> fused) {
    Optional<LayerGeometry> base = single(g, n);
    if (fused.isEmpty() || base.isEmpty()) {
      return base;
    }
    if (base.get().op() != OpPattern.Op.CONV2D) {
      throw new IllegalArgumentException("only a convolution fuses stages into its output stage, not "
          + n.op().opName());
    }
    LayerGeometry geo = base.get();
    int current = n.output();
    for (Node f : fused) {
      geo = switch (f.op()) {
        case Op.Add a -> geo.withResidual(g, f, current);
        case Op.MaxPool2D p -> geo.withPool(g, f, p.filterH(), p.filterW(), p.strideH(), p.strideW(), p.pads());
        case Op.AveragePool2D p -> geo.withPool(g, f, p.filterH(), p.filterW(), p.strideH(), p.strideW(),
            p.pads());
        default -> throw new IllegalArgumentException(f.op().opName() + " cannot be fused into a convolution");
      };
      current = f.output();
    }
    return Optional.of(geo);
  }

  private static Optional<LayerGeometry> single(Graph g, Node n) {
    return switch (n.op()) {
      case Op.Conv2D c -> {
        int[] in = g.input(n, Op.Conv2D.INPUT).shape().dims();
        int[] f = g.input(n, Op.Conv2D.FILTER).shape().dims();
        int[] out = g.output(n).shape().dims();
        if (in.length != 4 || f.length != 4 || out.length != 4 || in[0] != 1) {
          yield Optional.empty();
        }
        LayerShape s = new LayerShape(f[0], in[3], in[1], in[2], out[1], out[2], f[1], f[2], c.strideH(),
            c.strideW(), c.dilationH(), c.dilationW(), c.pads().top(), c.pads().left(), false);
        yield Optional.of(plain(s, OpPattern.Op.CONV2D, true, n.hasInput(Op.Conv2D.BIAS),
            g.input(n, Op.Conv2D.INPUT).dtype(), g.output(n).dtype(), ternary(g.input(n, Op.Conv2D.FILTER))).withNm(g.input(n, Op.Conv2D.FILTER)));
      }
      case Op.DepthwiseConv2D d -> {
        int[] in = g.input(n, Op.DepthwiseConv2D.INPUT).shape().dims();
        int[] f = g.input(n, Op.DepthwiseConv2D.FILTER).shape().dims();
        int[] out = g.output(n).shape().dims();
        // A depth multiplier other than 1 reads one input channel into several outputs: not the
        // one-channel-per-channel loop nest the depthwise tiler handles.
        if (in.length != 4 || out.length != 4 || in[0] != 1 || f[3] != in[3]) {
          yield Optional.empty();
        }
        LayerShape s = new LayerShape(in[3], in[3], in[1], in[2], out[1], out[2], f[1], f[2], d.strideH(),
            d.strideW(), d.dilationH(), d.dilationW(), d.pads().top(), d.pads().left(), true);
        yield Optional.of(plain(s, OpPattern.Op.DEPTHWISE_CONV2D, true, n.hasInput(Op.DepthwiseConv2D.BIAS),
            g.input(n, Op.DepthwiseConv2D.INPUT).dtype(), g.output(n).dtype(),
            ternary(g.input(n, Op.DepthwiseConv2D.FILTER))));
      }
      case Op.FullyConnected fc -> {
        int[] w = g.input(n, Op.FullyConnected.WEIGHTS).shape().dims();
        int inElems = g.input(n, Op.FullyConnected.INPUT).shape().elements();
        if (w.length != 2 || inElems % w[1] != 0) {
          yield Optional.empty();
        }
        int batch = inElems / w[1];
        LayerShape s = new LayerShape(w[0], w[1], 1, batch, 1, batch, 1, 1, 1, 1, 1, 1, 0, 0, false);
        yield Optional.of(plain(s, OpPattern.Op.FULLY_CONNECTED, true, n.hasInput(Op.FullyConnected.BIAS),
            g.input(n, Op.FullyConnected.INPUT).dtype(), g.output(n).dtype(),
            ternary(g.input(n, Op.FullyConnected.WEIGHTS))).withNm(g.input(n, Op.FullyConnected.WEIGHTS)));
      }
      case Op.BatchMatMul bm -> matmul(g, n, bm);
      case Op.MaxPool2D p -> pool(g, n, OpPattern.Op.MAX_POOL, p.filterH(), p.filterW(), p.strideH(), p.strideW(),
          p.pads());
      case Op.AveragePool2D p -> pool(g, n, OpPattern.Op.AVG_POOL, p.filterH(), p.filterW(), p.strideH(),
          p.strideW(), p.pads());
      case Op.Add a -> elementwise(g, n, OpPattern.Op.ADD, Optional.of(g.input(n, Op.Add.RHS)));
      case Op.Mul m -> elementwise(g, n, OpPattern.Op.MUL, Optional.of(g.input(n, Op.Mul.RHS)));
      case Op.Relu r -> elementwise(g, n, OpPattern.Op.ACTIVATION, Optional.empty());
      case Op.Relu6 r -> elementwise(g, n, OpPattern.Op.ACTIVATION, Optional.empty());
      case Op.Logistic r -> elementwise(g, n, OpPattern.Op.ACTIVATION, Optional.empty());
      case Op.Tanh r -> elementwise(g, n, OpPattern.Op.ACTIVATION, Optional.empty());
      default -> Optional.empty();
    };
  }

  /**
   * A matmul out[b] = lhs[b] · rhs[b] as one GEMM per batch: the batches are the output rows (a
   * 1 x 1 window over a batches x M image of depth-long vectors), the right operand's columns the
   * output channels K, its depth the reduction C. Only a left operand stored as is (no adj_x) and
   * not broadcast across batches has that shape in the arena.
   */
  private static Optional<LayerGeometry> matmul(Graph g, Node n, Op.BatchMatMul bm) {
    Value lhs = g.input(n, Op.BatchMatMul.LHS);
    Value rhs = g.input(n, Op.BatchMatMul.RHS);
    Value out = g.output(n);
    int[] a = lhs.shape().dims();
    int[] o = out.shape().dims();
    if (bm.adjX() || a.length != o.length || a.length < 2 || out.shape().elements() == 0) {
      return Optional.empty();
    }
    for (int i = 0; i < o.length - 2; i++) {
      if (a[i] != o[i]) {
        return Optional.empty();
      }
    }
    BatchMatMulLayout m = BatchMatMulLayout.of(lhs.shape(), rhs.shape(), out.shape(), bm);
    LayerShape s = new LayerShape(m.cols(), m.depth(), m.batches(), m.rows(), m.batches(), m.rows(), 1, 1, 1, 1, 1, 1,
        0, 0, false);
    return Optional.of(new LayerGeometry(s, OpPattern.Op.MATMUL, true, false, lhs.dtype(), out.dtype(), false,
        Optional.empty(), s.oy(), s.ox(), 1, 1, Optional.empty(), Optional.of(m)));
  }

  private static LayerGeometry plain(LayerShape s, OpPattern.Op op, boolean hasWeights, boolean hasBias,
      DType in, DType out, boolean ternary) {
    return new LayerGeometry(s, op, hasWeights, hasBias, in, out, ternary, Optional.empty(), s.oy(), s.ox(), 1, 1,
        Optional.empty());
  }

  /** This geometry with the N:M encoding of weights {@code w}, if it has one. */
  private LayerGeometry withNm(Value w) {
    Optional<io.kiln.ir.Encoding.NM> nm = w.type().encoding() instanceof io.kiln.ir.Encoding.NM f
        ? Optional.of(f) : Optional.empty();
    return new LayerGeometry(shape, op, hasWeights, hasBias, inputType, outputType, ternaryWeights, operandType,
        operandRows, operandCols, poolY, poolX, nm);
  }

  private static Optional<LayerGeometry> pool(Graph g, Node n, OpPattern.Op op, int fh, int fw, int sh, int sw,
      Op.Pads pads) {
    int[] in = g.input(n, 0).shape().dims();
    int[] out = g.output(n).shape().dims();
    if (in.length != 4 || out.length != 4 || in[0] != 1) {
      return Optional.empty();
    }
    LayerShape s = new LayerShape(in[3], in[3], in[1], in[2], out[1], out[2], fh, fw, sh, sw, 1, 1, pads.top(),
        pads.left(), true);
    return Optional.of(plain(s, op, false, false, g.input(n, 0).dtype(), g.output(n).dtype(), false));
  }

  /**
   * An operator that maps each element (of two equal-shaped operands) to one output element: a
   * 1×1 depthwise nest over rows, columns and channels (the last dimension); a batch of vectors
   * is one row of columns.
   */
  private static Optional<LayerGeometry> elementwise(Graph g, Node n, OpPattern.Op op, Optional<Value> rhs) {
    Value in = g.input(n, 0);
    Value out = g.output(n);
    if (rhs.isPresent() && !rhs.get().shape().equals(in.shape())) {
      throw new IllegalArgumentException("its operands broadcast (" + in.shape() + " with " + rhs.get().shape()
          + "); the element-wise tiler streams equal shapes only");
    }
    int[] d = out.shape().dims();
    if (!out.shape().equals(in.shape()) || d.length == 0 || out.shape().elements() == 0) {
      return Optional.empty();
    }
    int channels = d[d.length - 1];
    boolean image = d.length == 4 && d[0] == 1;
    int rows = image ? d[1] : 1;
    int cols = image ? d[2] : out.shape().elements() / channels;
    LayerShape s = new LayerShape(channels, channels, rows, cols, rows, cols, 1, 1, 1, 1, 1, 1, 0, 0, true);
    return Optional.of(new LayerGeometry(s, op, false, false, in.dtype(), out.dtype(), false,
        rhs.map(Value::dtype), rows, cols, 1, 1, Optional.empty()));
  }

  /** This conv with residual Add {@code add} (one of whose operands is {@code convOut}) in its output stage. */
  private LayerGeometry withResidual(Graph g, Node add, int convOut) {
    if (operandType.isPresent() || poolY > 1 || poolX > 1) {
      throw new IllegalArgumentException("a residual Add fuses right after the convolution, once");
    }
    int lhs = add.input(Op.Add.LHS);
    int rhs = add.input(Op.Add.RHS);
    if ((lhs == convOut) == (rhs == convOut)) {
      throw new IllegalArgumentException("the fused Add must read the convolution's output exactly once");
    }
    Value skip = g.value(lhs == convOut ? rhs : lhs);
    Shape convShape = g.value(convOut).shape();
    if (!skip.shape().equals(convShape) || !g.output(add).shape().equals(convShape)) {
      throw new IllegalArgumentException("the residual Add broadcasts " + convShape + " with " + skip.shape());
    }
    return new LayerGeometry(shape, op, hasWeights, hasBias, inputType, g.output(add).dtype(), ternaryWeights,
        Optional.of(skip.dtype()), operandRows, operandCols, 1, 1, nmWeights);
  }

  /**
   * This conv with a pooling of {@code fh×fw} windows in its output stage. Only non-overlapping,
   * unpadded windows fuse: then every conv output belongs to at most one window, and an output
   * tile of whole windows needs no conv outputs of its neighbours.
   */
  private LayerGeometry withPool(Graph g, Node pool, int fh, int fw, int sh, int sw, Op.Pads pads) {
    if (poolY > 1 || poolX > 1) {
      throw new IllegalArgumentException("only one pooling fuses into a convolution");
    }
    if (fh != sh || fw != sw || !pads.equals(Op.Pads.NONE)) {
      throw new IllegalArgumentException("a fused " + pool.op().opName() + " needs non-overlapping windows"
          + " without padding, got " + fh + "x" + fw + " stride " + sh + "x" + sw);
    }
    int pooledY = shape.oy() / fh;
    int pooledX = shape.ox() / fw;
    int[] out = g.output(pool).shape().dims();
    if (pooledY < 1 || pooledX < 1 || out.length != 4 || out[1] != pooledY || out[2] != pooledX
        || out[3] != shape.k()) {
      throw new IllegalArgumentException("the fused " + pool.op().opName() + " output " + g.output(pool).shape()
          + " is not " + pooledY + "x" + pooledX + " windows of the " + shape.oy() + "x" + shape.ox()
          + " convolution output");
    }
    LayerShape s = shape;
    LayerShape trimmed = new LayerShape(s.k(), s.c(), s.iy(), s.ix(), pooledY * fh, pooledX * fw, s.fy(), s.fx(),
        s.strideY(), s.strideX(), s.dilationY(), s.dilationX(), s.padTop(), s.padLeft(), s.depthwise());
    return new LayerGeometry(trimmed, op, hasWeights, hasBias, inputType, g.output(pool).dtype(), ternaryWeights,
        operandType, operandRows, operandCols, fh, fw, nmWeights);
  }

  /** Whether a constant integer weight tensor holds only -1, 0 and +1. */
  static boolean ternary(Value w) {
    Optional<ConstData> data = w.constant();
    if (data.isEmpty() || !w.dtype().isInteger()) {
      return false;
    }
    for (int v : data.get().asInts(w.dtype())) {
      if (v < -1 || v > 1) {
        return false;
      }
    }
    return true;
  }

  /** Useful multiply-accumulates (0 for pooling and element-wise operators, which have none). */
  long macs() {
    return hasWeights ? shape.macs() : 0;
  }
}
