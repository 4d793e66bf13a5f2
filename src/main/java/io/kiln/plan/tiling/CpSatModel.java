package io.kiln.plan.tiling;

import com.google.ortools.sat.BoolVar;
import com.google.ortools.sat.CpModel;
import com.google.ortools.sat.IntVar;
import com.google.ortools.sat.LinearArgument;
import com.google.ortools.sat.LinearExpr;
import com.google.ortools.sat.LinearExprBuilder;
import com.google.ortools.util.Domain;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * One {@link TileProblem} as a CP-SAT model whose feasible set and objective are exactly those of
 * {@link Footprint} and {@link ObjectiveValue}, so its optimum is the exhaustive solver's.
 *
 * <p>Each dimension's tile size is picked by an index into its allowed sizes; whatever depends on
 * one size alone (halo-clipped input rows and columns, block-padded channels, weight bits per
 * channel, single-dimension heuristics) is a table read with an element constraint, computed by
 * the owner of that formula.
 * Products of sizes are multiplication constraints, a ceiling division of bits by 8 is the linear
 * pair {@code 0 <= 8·bytes - bits <= 7}, and a buffer's second copy (or the partial sums' wider
 * outputs) is a variable equal to the buffer when the literal "this tile splits a dimension the
 * buffer depends on" holds and 0 otherwise. For a depthwise layer the channel tile is K's variable.
 * A layer without weights or without a second operand gets buffers fixed at 0 bytes.
 */
final class CpSatModel {
  final CpModel model = new CpModel();
  /** α·dataBytes + Σ βᵢ·Hᵢ, the value to maximize. */
  final LinearExpr objective;

  /** A variable with its upper bound, which the products below need to size their results. */
  private record Var(IntVar v, long max) {}

  private final TileProblem p;
  /** Allowed sizes by {@link Dim#ordinal()}; for depthwise, C's are K's. */
  private final int[][] domains;
  /** Index into {@code domains}, tile size and its bound, by dimension; depthwise C shares K's. */
  private final IntVar[] index = new IntVar[4];
  private final IntVar[] tile = new IntVar[4];
  private final Var[] sizes = new Var[4];

  /** {@code allowed}: the non-empty {@link TileProblem#allowedSizes} of each dimension. */
  CpSatModel(TileProblem p, int[][] allowed) {
    this.p = p;
    LayerShape l = p.layer();
    boolean dw = l.depthwise();
    this.domains = dw ? new int[][] {allowed[0], allowed[0], allowed[2], allowed[3]} : allowed;
    for (Dim d : Dim.values()) {
      int i = d.ordinal();
      if (dw && d == Dim.C) {
        index[i] = index[Dim.K.ordinal()];
        tile[i] = tile[Dim.K.ordinal()];
        sizes[i] = sizes[Dim.K.ordinal()];
        continue;
      }
      int[] dom = domains[i];
      index[i] = model.newIntVar(0, dom.length - 1, "index" + d);
      tile[i] = model.newIntVarFromDomain(Domain.fromValues(Arrays.stream(dom).asLongStream().toArray()), "tile" + d);
      model.addElement(index[i], dom, tile[i]);
      sizes[i] = new Var(tile[i], dom[dom.length - 1]);
    }
    Var k = sizes[Dim.K.ordinal()];
    Var c = sizes[Dim.C.ordinal()];
    Var oy = sizes[Dim.OY.ordinal()];
    Var ox = sizes[Dim.OX.ordinal()];
    ElementSizes s = p.sizes();

    Var rows = table(Dim.OY, v -> Footprint.inputRows(l, v));
    Var cols = table(Dim.OX, v -> Footprint.inputCols(l, v));
    Var input = bytes(product(c, product(rows, cols)), s.inputBits());
    // ElementSizes.weightBytes: stored (block-padded) K channels × bits per stored channel.
    long taps = (long) l.fy() * l.fx();
    Var perChannel = dw
        ? constant(s.weightBitsPerChannel(ElementSizes.storedChannels(1, s.cBlock()) * taps))
        : table(Dim.C, v -> s.weightBitsPerChannel(ElementSizes.storedChannels(v, s.cBlock()) * taps));
    Var storedK = table(Dim.K, v -> ElementSizes.storedChannels(v, s.kBlock()));
    Var weights = bytes(product(storedK, perChannel), 1);
    Var outputs = product(k, product(oy, ox));
    Var output = bytes(outputs, s.outputBits());
    Var params = scaled(k, s.paramBytesPerChannel());
    // A second operand (residual skip, element-wise right-hand side) streams with the outputs.
    Var operand = bytes(outputs, s.operandBits());

    BoolVar splitK = split(k, l.k());
    BoolVar splitC = dw ? null : split(c, l.c());
    BoolVar splitYX = or(split(oy, l.oy()), split(ox, l.ox()));
    // Partial sums stay at accumulator width until the last input-channel tile.
    Var reserved = dw ? output : choose(splitC, bytes(outputs, s.accumulatorBits()), output);

    Memories m = p.memories();
    LinearExprBuilder l1 = LinearExpr.newBuilder().add(input.v).add(reserved.v).add(operand.v).add(params.v);
    LinearExprBuilder weightMemory = LinearExpr.newBuilder().add(weights.v);
    if (m.doubleBuffered()) {
      BoolVar outputsStream = or(splitK, splitYX);
      l1.add(when(or(dw ? splitK : splitC, splitYX), input).v)
          .add(when(outputsStream, reserved).v)
          .add(when(outputsStream, operand).v)
          .add(when(splitK, params).v);
      weightMemory.add(when(dw ? splitK : or(splitK, splitC), weights).v);
    }
    if (m.separateWeights()) {
      model.addLessOrEqual(weightMemory, m.weightMemoryBytes());
    } else {
      l1.add(weightMemory);
    }
    model.addLessOrEqual(l1, m.l1Bytes());

    Objective o = p.objective();
    LinearExprBuilder value = LinearExpr.newBuilder()
        .addTerm(input.v, o.alpha()).addTerm(output.v, o.alpha()).addTerm(operand.v, o.alpha())
        .addTerm(params.v, o.alpha());
    if (!m.separateWeights()) {
      value.addTerm(weights.v, o.alpha());
    }
    for (Heuristic h : o.heuristics()) {
      if (h.weight() > 0) {
        value.addTerm(heuristic(h).v, h.weight());
      }
    }
    objective = value.build();
    model.maximize(objective);
  }

  /** The tile sizes of a solution, as the other solvers return them (depthwise C at full size). */
  int[] tileOf(java.util.function.ToLongFunction<LinearArgument> valueOf) {
    int[] t = new int[4];
    for (Dim d : Dim.values()) {
      t[d.ordinal()] = (int) valueOf.applyAsLong(tile[d.ordinal()]);
    }
    if (p.layer().depthwise()) {
      t[Dim.C.ordinal()] = p.layer().c();
    }
    return t;
  }

  /** Hᵢ: a table over one dimension's sizes where it reads one, else (UNROLL) min(product, size). */
  private Var heuristic(Heuristic h) {
    List<Dim> read = switch (h) {
      case Heuristic.MultipleOf m -> List.of(m.dim());
      case Heuristic.Maximize m -> List.of(m.dim());
      case Heuristic.Unroll u -> u.dims();
    };
    // Depthwise heuristics on C see K's tile (ObjectiveValue.effective), so C folds into K.
    TreeSet<Dim> distinct = new TreeSet<>();
    for (Dim d : read) {
      distinct.add(p.layer().depthwise() && d == Dim.C ? Dim.K : d);
    }
    int kernel = p.layer().fy() * p.layer().fx();
    if (distinct.size() == 1) {
      Dim only = distinct.first();
      return table(only, v -> {
        int[] probe = {1, 1, 1, 1};
        for (Dim d : read) {
          probe[d.ordinal()] = v;
        }
        return h.value(probe, kernel);
      });
    }
    if (!(h instanceof Heuristic.Unroll u)) {
      throw new IllegalStateException(h + " reads more than one dimension");
    }
    Var product = constant(u.withKernel() ? kernel : 1);
    for (Dim d : u.dims()) {
      product = product(product, sizes[d.ordinal()]);
    }
    IntVar capped = model.newIntVar(0, u.arraySize(), "unroll");
    model.addMinEquality(capped, new LinearArgument[] {product.v, LinearExpr.constant(u.arraySize())});
    return new Var(capped, u.arraySize());
  }

  /** {@code f} of the tile size along {@code d}, read from a table by the dimension's index. */
  private Var table(Dim d, java.util.function.IntToLongFunction f) {
    long[] values = Arrays.stream(domains[d.ordinal()]).mapToLong(f).toArray();
    long max = Arrays.stream(values).max().orElseThrow();
    IntVar v = model.newIntVarFromDomain(Domain.fromValues(values), "table" + d);
    model.addElement(index[d.ordinal()], values, v);
    return new Var(v, max);
  }

  private Var constant(long value) {
    return new Var(model.newConstant(value), value);
  }

  private Var product(Var a, Var b) {
    long max = Math.multiplyExact(a.max, b.max);
    IntVar v = model.newIntVar(0, max, "product");
    model.addMultiplicationEquality(v, a.v, b.v);
    return new Var(v, max);
  }

  private Var scaled(Var a, long factor) {
    long max = Math.multiplyExact(a.max, factor);
    IntVar v = model.newIntVar(0, max, "scaled");
    model.addEquality(v, LinearExpr.term(a.v, factor));
    return new Var(v, max);
  }

  /** ⌈elements · bits / 8⌉, exactly: 0 <= 8·bytes - bits·elements <= 7. */
  private Var bytes(Var elements, int bits) {
    long max = ElementSizes.ceilDiv(Math.multiplyExact(elements.max, bits), 8);
    IntVar v = model.newIntVar(0, max, "bytes");
    model.addLinearConstraint(LinearExpr.weightedSum(new LinearArgument[] {v, elements.v}, new long[] {8, -bits}), 0, 7);
    return new Var(v, max);
  }

  /** {@code a} when {@code b} holds, else {@code otherwise}. */
  private Var choose(BoolVar b, Var a, Var otherwise) {
    long max = Math.max(a.max, otherwise.max);
    IntVar v = model.newIntVar(0, max, "choice");
    model.addEquality(v, a.v).onlyEnforceIf(b);
    model.addEquality(v, otherwise.v).onlyEnforceIf(b.not());
    return new Var(v, max);
  }

  /** {@code a} when {@code b} holds, else 0. */
  private Var when(BoolVar b, Var a) {
    IntVar v = model.newIntVar(0, a.max, "when");
    model.addEquality(v, a.v).onlyEnforceIf(b);
    model.addEquality(v, 0).onlyEnforceIf(b.not());
    return new Var(v, a.max);
  }

  /** Whether the tile along a dimension of size {@code full} is smaller than the dimension. */
  private BoolVar split(Var size, int full) {
    BoolVar b = model.newBoolVar("split");
    model.addLessOrEqual(size.v, full - 1).onlyEnforceIf(b);
    model.addEquality(size.v, full).onlyEnforceIf(b.not());
    return b;
  }

  private BoolVar or(BoolVar a, BoolVar b) {
    BoolVar o = model.newBoolVar("or");
    model.addMaxEquality(o, new LinearArgument[] {a, b});
    return o;
  }
}
