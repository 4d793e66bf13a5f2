package io.kiln.codegen;

import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Value;
import io.kiln.quant.ActivationRange;
import io.kiln.quant.AddRequant;
import io.kiln.quant.ConvRequant;
import io.kiln.quant.FixedPoint;
import io.kiln.quant.SoftmaxParams;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test oracle: TFLM's reference int8 kernels written out as plain Java loops (per-tap bounds
 * checks, bias added after the sum), independent of the generated C's loop structure.
 */
final class ExpectedValues {
  private ExpectedValues() {}

  /** Runs an int8 graph on int8 inputs; returns each output's values. */
  static List<int[]> run(Graph g, List<int[]> inputs) {
    Map<Integer, int[]> env = new HashMap<>();
    for (int i = 0; i < inputs.size(); i++) {
      env.put(g.inputs().get(i), inputs.get(i));
    }
    for (Value v : g.values()) {
      if (v.isConstant()) {
        env.put(v.id(), v.data().asInts(v.dtype()));
      }
    }
    for (Node n : g.nodes()) {
      TensorType out = g.output(n).type();
      int[] x = env.get(n.input(0));
      TensorType in = g.input(n, 0).type();
      int[] y = switch (n.op()) {
        case Op.Conv2D op -> conv(g, n, x, in, env.get(n.input(1)), n.hasInput(2)
            ? env.get(n.input(2)) : null, out, op.strideH(), op.strideW(), op.dilationH(),
            op.dilationW(), op.pads(), 1, false, op.act());
        case Op.DepthwiseConv2D op -> conv(g, n, x, in, env.get(n.input(1)), n.hasInput(2)
            ? env.get(n.input(2)) : null, out, op.strideH(), op.strideW(), op.dilationH(),
            op.dilationW(), op.pads(), op.depthMultiplier(), true, op.act());
        case Op.FullyConnected op -> fc(g, n, x, env.get(n.input(1)),
            n.hasInput(2) ? env.get(n.input(2)) : null, op.act());
        case Op.AveragePool2D op -> pool(x, in, out, op.filterH(), op.filterW(), op.strideH(),
            op.strideW(), op.pads(), op.act(), true);
        case Op.MaxPool2D op -> pool(x, in, out, op.filterH(), op.filterW(), op.strideH(),
            op.strideW(), op.pads(), op.act(), false);
        case Op.Add op -> add(x, env.get(n.input(1)), in, g.input(n, 1).type(), out, op.act());
        case Op.Reshape op -> x.clone();
        case Op.Softmax op -> softmax(x, in, out, op.beta());
        default -> throw new UnsupportedOperationException(n.op().opName());
      };
      env.put(n.output(), y);
    }
    return g.outputs().stream().map(env::get).toList();
  }

  private static int[] conv(Graph g, Node n, int[] x, TensorType in, int[] w, int[] bias,
      TensorType out, int sh, int sw, int dh, int dw, Op.Pads pads, int mult, boolean depthwise,
      Op.Activation act) {
    Shape is = in.shape();
    Shape os = out.shape();
    Shape fs = g.input(n, 1).shape();
    int ih = is.dim(1);
    int iw = is.dim(2);
    int ic = is.dim(3);
    int oh = os.dim(1);
    int ow = os.dim(2);
    int oc = os.dim(3);
    int kh = fs.dim(1);
    int kw = fs.dim(2);
    ConvRequant rq = ConvRequant.convolution(in, g.input(n, 1).type(), out, oc, "conv");
    ActivationRange r = ActivationRange.quantized(act, out, "conv");
    int inOff = (int) -in.quant().zeroPoint();
    int outZp = (int) out.quant().zeroPoint();
    int[] y = new int[os.elements()];
    for (int b = 0; b < is.dim(0); b++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          for (int o = 0; o < oc; o++) {
            int acc = 0;
            for (int ky = 0; ky < kh; ky++) {
              for (int kx = 0; kx < kw; kx++) {
                int iy = oy * sh - pads.top() + ky * dh;
                int ix = ox * sw - pads.left() + kx * dw;
                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) {
                  continue;
                }
                if (depthwise) {
                  int c = o / mult;
                  acc += w[(ky * kw + kx) * oc + o] * (x[((b * ih + iy) * iw + ix) * ic + c]
                      + inOff);
                } else {
                  for (int c = 0; c < ic; c++) {
                    acc += w[((o * kh + ky) * kw + kx) * ic + c]
                        * (x[((b * ih + iy) * iw + ix) * ic + c] + inOff);
                  }
                }
              }
            }
            if (bias != null) {
              acc += bias[o];
            }
            int v = FixedPoint.multiplyByQuantizedMultiplier(acc, rq.multiplier(o),
                rq.shift(o)) + outZp;
            y[((b * oh + oy) * ow + ox) * oc + o] = FixedPoint.clamp(v, r.min(), r.max());
          }
        }
      }
    }
    return y;
  }

  private static int[] fc(Graph g, Node n, int[] x, int[] w, int[] bias, Op.Activation act) {
    TensorType in = g.input(n, 0).type();
    TensorType wt = g.input(n, 1).type();
    TensorType out = g.output(n).type();
    int units = wt.shape().dim(0);
    int depth = wt.shape().dim(1);
    int batches = in.elements() / depth;
    ConvRequant rq = ConvRequant.fullyConnected(in, wt, out, units, "fc");
    ActivationRange r = ActivationRange.quantized(act, out, "fc");
    int[] y = new int[batches * units];
    for (int b = 0; b < batches; b++) {
      for (int u = 0; u < units; u++) {
        int acc = 0;
        for (int d = 0; d < depth; d++) {
          acc += w[u * depth + d] * (x[b * depth + d] - (int) in.quant().zeroPoint());
        }
        acc += bias == null ? 0 : bias[u];
        int v = FixedPoint.multiplyByQuantizedMultiplier(acc, rq.multiplier(u),
            rq.shift(u)) + (int) out.quant().zeroPoint();
        y[b * units + u] = FixedPoint.clamp(v, r.min(), r.max());
      }
    }
    return y;
  }

  private static int[] pool(int[] x, TensorType in, TensorType out, int fh, int fw, int sh,
      int sw, Op.Pads pads, Op.Activation act, boolean average) {
    Shape is = in.shape();
    Shape os = out.shape();
    int ih = is.dim(1);
    int iw = is.dim(2);
    int ch = is.dim(3);
    int[] y = new int[os.elements()];
    ActivationRange r = ActivationRange.quantized(act, out, "pool");
    for (int b = 0; b < is.dim(0); b++) {
      for (int oy = 0; oy < os.dim(1); oy++) {
        for (int ox = 0; ox < os.dim(2); ox++) {
          for (int c = 0; c < ch; c++) {
            int acc = average ? 0 : -128;
            int count = 0;
            for (int ky = 0; ky < fh; ky++) {
              for (int kx = 0; kx < fw; kx++) {
                int iy = oy * sh - pads.top() + ky;
                int ix = ox * sw - pads.left() + kx;
                if (iy >= 0 && iy < ih && ix >= 0 && ix < iw) {
                  int v = x[((b * ih + iy) * iw + ix) * ch + c];
                  acc = average ? acc + v : Math.max(acc, v);
                  count++;
                }
              }
            }
            if (average) {
              acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
            }
            y[((b * os.dim(1) + oy) * os.dim(2) + ox) * ch + c] =
                FixedPoint.clamp(acc, r.min(), r.max());
          }
        }
      }
    }
    return y;
  }

  private static int[] add(int[] a, int[] b, TensorType at, TensorType bt, TensorType out,
      Op.Activation act) {
    AddRequant p = AddRequant.add(at, bt, out, act, "add");
    int[] y = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      int sa = FixedPoint.multiplyByQuantizedMultiplier((a[i] + p.input1Offset()) << p.leftShift(),
          p.input1().multiplier(), p.input1().shift());
      int sb = FixedPoint.multiplyByQuantizedMultiplier((b[i] + p.input2Offset()) << p.leftShift(),
          p.input2().multiplier(), p.input2().shift());
      int v = FixedPoint.multiplyByQuantizedMultiplier(sa + sb, p.output().multiplier(),
          p.output().shift()) + p.outputOffset();
      y[i] = FixedPoint.clamp(v, p.range().min(), p.range().max());
    }
    return y;
  }

  /** TFLM's int8 softmax with gemmlowp's fixed-point exp and reciprocal, in Java. */
  private static int[] softmax(int[] x, TensorType in, TensorType out, float beta) {
    SoftmaxParams p = SoftmaxParams.int8(beta, in, "softmax");
    int depth = out.shape().dim(-1);
    int[] y = new int[x.length];
    for (int r = 0; r < x.length / depth; r++) {
      int max = -128;
      for (int c = 0; c < depth; c++) {
        max = Math.max(max, x[r * depth + c]);
      }
      int sum = 0;
      for (int c = 0; c < depth; c++) {
        int diff = x[r * depth + c] - max;
        if (diff >= p.diffMin()) {
          int scaled = FixedPoint.saturatingRoundingDoublingHighMul(diff << p.inputBeta().shift(),
              p.inputBeta().multiplier());
          sum += FixedPoint.roundingDivideByPot(expOnNegative(scaled), 12);
        }
      }
      int headroom = Integer.numberOfLeadingZeros(sum);
      int bitsOverUnit = 12 - headroom;
      int shiftedScale = oneOverOnePlusX((sum << headroom) - Integer.MIN_VALUE);
      for (int c = 0; c < depth; c++) {
        int diff = x[r * depth + c] - max;
        if (diff >= p.diffMin()) {
          int scaled = FixedPoint.saturatingRoundingDoublingHighMul(diff << p.inputBeta().shift(),
              p.inputBeta().multiplier());
          int e = expOnNegative(scaled);
          int v = FixedPoint.roundingDivideByPot(
              FixedPoint.saturatingRoundingDoublingHighMul(shiftedScale, e), bitsOverUnit + 23)
              - 128;
          y[r * depth + c] = FixedPoint.clamp(v, -128, 127);
        } else {
          y[r * depth + c] = -128;
        }
      }
    }
    return y;
  }

  private static int mul(int a, int b) {
    return FixedPoint.saturatingRoundingDoublingHighMul(a, b);
  }

  private static int satShl(int x, int e) {
    long v = (long) x << e;
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
  }

  private static int expOnNegative(int a) {
    int quarter = 1 << 24;
    int amq = (a & (quarter - 1)) - quarter;
    int t = satShl(amq, 5) + (1 << 28);
    int t2 = mul(t, t);
    int t3 = mul(t2, t);
    int t4 = mul(t2, t2);
    int poly = FixedPoint.roundingDivideByPot(
        mul(FixedPoint.roundingDivideByPot(t4, 2) + t3, 715827883) + t2, 1);
    int result = 1895147668 + mul(1895147668, t + poly);
    int rem = amq - a;
    int[] k = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    for (int i = 0; i < k.length; i++) {
      if ((rem & (1 << (24 + i))) != 0) {
        result = mul(result, k[i]);
      }
    }
    return a == 0 ? Integer.MAX_VALUE : result;
  }

  private static int oneOverOnePlusX(int a) {
    long sum = (long) a + Integer.MAX_VALUE;
    int half = (int) ((sum + (sum >= 0 ? 1 : -1)) / 2);
    int x = 1515870810 + mul(half, -1010580540);
    for (int i = 0; i < 3; i++) {
      int oneMinus = (1 << 29) - mul(half, x);
      x = x + satShl(mul(x, oneMinus), 2);
    }
    return satShl(x, 1);
  }
}
