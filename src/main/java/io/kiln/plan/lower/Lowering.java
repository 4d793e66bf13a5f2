package io.kiln.plan.lower;

import io.kiln.KilnException;
import io.kiln.ir.Graph;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Requant;
import io.kiln.ir.Node;
import io.kiln.plan.dispatch.DispatchResult;
import io.kiln.plan.dispatch.DispatchResult.LayerDispatch;
import io.kiln.plan.dispatch.DispatchRule;
import io.kiln.plan.dispatch.Dispatcher;
import io.kiln.plan.dispatch.Layer;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.OpPattern;
import java.util.List;
import java.util.Optional;

/**
 * Target-exact lowering: rewrites every layer a dispatch put on an accelerator into what that
 * unit computes, as ordinary IR that verifies and that the interpreter executes exactly. The
 * stages, top to bottom, for each accelerated layer (with the operator pattern of the
 * description that accepted it):
 *
 * <ol>
 *   <li>the weights take the unit's encoding ({@link WeightLowering}: int8 stays dense, a
 *       ternary array gets ternary cells, converted from int8 with {@code --ternarize});
 *   <li>a shift-only output stage becomes an explicit {@link io.kiln.ir.Requant.Shift} on the
 *       operator and on every stage fused into its calls ({@link ShiftLowering}), with the input
 *       narrowing and the output range the pattern declares.
 * </ol>
 *
 * Units whose output stage is TFLite's fixed point (the CPU, the {@code dla} preset) compute what
 * the int8 graph says: their layers are left alone. Nodes keep their order and values their
 * ids, so the dispatch's node indices stay valid.
 */
public final class Lowering {
  private Lowering() {}

  /**
   * @param ternarize the user accepted plan-time approximations for in-memory compute: int8
   *     weights of a layer on a ternary unit are converted, its activations narrowed to the
   *     array's input bits and a fused residual Add's rescaling rounded to shifts
   */
  public record Options(boolean ternarize) {
    public static final Options DEFAULT = new Options(false);
  }

  /** Lowers every accelerated layer of {@code dispatch} for {@code hw}. */
  public static Lowered lower(DispatchResult dispatch, HardwareDescription hw, Options options) {
    Graph g = dispatch.graph();
    Work work = new Work(g);
    for (LayerDispatch l : dispatch.layers()) {
      if (l.fused() || l.layer().isEmpty()) {
        continue;
      }
      Optional<Accelerator> acc = hw.accelerator(l.unit());
      if (acc.isEmpty()) {
        continue;
      }
      Layer layer = l.layer().get();
      OpPattern pattern = acceptingPattern(layer, acc.get(), hw, options);
      Unit unit = new Unit(acc.get(), pattern, options.ternarize());
      int at = l.index();
      if (pattern.shiftOnly()) {
        ShiftLowering.layer(work, at, layer, unit);
        for (Layer.Fused f : layer.fused()) {
          ShiftLowering.fused(work, index(g, f.node()), f, unit);
        }
      } else if (layer.weights().isPresent()) {
        WeightLowering.fixedPoint(work, at, unit);
      }
    }
    rescaleBiases(work, dispatch);
    return work.result();
  }

  /**
   * A layer reading a value whose scale lowering changed (an analog layer's narrowed output) on a
   * unit that was not lowered (the CPU, a fixed-point unit) needs its bias at the new
   * accumulator scale: TFLite's kernels take the bias as input scale × weight scale.
   */
  private static void rescaleBiases(Work work, DispatchResult dispatch) {
    Graph g = dispatch.graph();
    for (LayerDispatch l : dispatch.layers()) {
      int at = l.index();
      var slots = Op.constantSlots(work.node(at).op());
      boolean lowered = Op.requant(work.node(at).op()).orElse(Requant.TFLITE)
          instanceof Requant.Shift;
      if (slots.isEmpty() || lowered
          || work.input(at, 0).quant().equals(g.input(g.nodes().get(at), 0).quant())
          || !(work.input(at, 0).quant() instanceof Quantization.PerTensor in)) {
        continue;
      }
      int channels = work.output(at).shape().dim(-1);
      double[] sW = WeightLowering.scales(work.input(at, slots.get().weights()), channels);
      WeightLowering.bias(work, at, slots.get(), new Unit(null, null, false, l.unit()),
          in.scale(), sW);
    }
  }

  /** The accelerator and the pattern a layer runs under, and what the user allowed. */
  record Unit(Accelerator accelerator, OpPattern pattern, boolean ternarize, String name) {
    Unit(Accelerator accelerator, OpPattern pattern, boolean ternarize) {
      this(accelerator, pattern, ternarize, accelerator.name());
    }
  }

  /**
   * The first of the accelerator's patterns of the layer's kind that accepts it, as dispatch
   * chose it (the layer with its fused stages).
   */
  private static OpPattern acceptingPattern(Layer layer, Accelerator a, HardwareDescription hw,
      Options o) {
    List<OpPattern> patterns = a.patterns(layer.kind());
    for (OpPattern p : patterns) {
      DispatchRule.Site site = new DispatchRule.Site(Dispatcher.targetLabel(hw), a, p,
          o.ternarize());
      if (Dispatcher.check(layer, site).isEmpty()) {
        return p;
      }
    }
    throw new KilnException("cannot lower " + layer.where() + ": no pattern of "
        + a.name() + " accepts it (was it dispatched with other options?)");
  }

  private static int index(Graph g, Node n) {
    int i = g.nodes().indexOf(n);
    if (i < 0) {
      throw new IllegalStateException("fused node %" + n.output() + " is not in the graph");
    }
    return i;
  }
}
