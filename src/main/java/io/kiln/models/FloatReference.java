package io.kiln.models;

import io.kiln.ir.Op.Pads;
import io.kiln.ir.Shape;

/**
 * Float versions of the layers the built-in models use, run on calibration inputs to find each
 * activation's range. Batch 1, NHWC, filters OHWI (depthwise: channel-major [C][KH*KW]).
 */
final class FloatReference {
  private FloatReference() {}

  static float[] conv(float[] x, Shape in, float[] w, float[] bias, int outC, int kh, int kw,
      int stride, Pads pads, Shape out, boolean relu) {
    int ih = in.dim(1);
    int iw = in.dim(2);
    int ic = in.dim(3);
    int oh = out.dim(1);
    int ow = out.dim(2);
    float[] y = new float[oh * ow * outC];
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        for (int oc = 0; oc < outC; oc++) {
          float acc = bias[oc];
          for (int ky = 0; ky < kh; ky++) {
            int iy = oy * stride - pads.top() + ky;
            if (iy < 0 || iy >= ih) {
              continue;
            }
            for (int kx = 0; kx < kw; kx++) {
              int ix = ox * stride - pads.left() + kx;
              if (ix < 0 || ix >= iw) {
                continue;
              }
              int xBase = (iy * iw + ix) * ic;
              int wBase = ((oc * kh + ky) * kw + kx) * ic;
              for (int c = 0; c < ic; c++) {
                acc += x[xBase + c] * w[wBase + c];
              }
            }
          }
          y[(oy * ow + ox) * outC + oc] = relu ? Math.max(acc, 0f) : acc;
        }
      }
    }
    return y;
  }

  static float[] depthwise(float[] x, Shape in, float[] w, float[] bias, int kh, int kw,
      int stride, Pads pads, Shape out, boolean relu) {
    int ih = in.dim(1);
    int iw = in.dim(2);
    int c = in.dim(3);
    int oh = out.dim(1);
    int ow = out.dim(2);
    float[] y = new float[oh * ow * c];
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        for (int ch = 0; ch < c; ch++) {
          float acc = bias[ch];
          for (int ky = 0; ky < kh; ky++) {
            int iy = oy * stride - pads.top() + ky;
            if (iy < 0 || iy >= ih) {
              continue;
            }
            for (int kx = 0; kx < kw; kx++) {
              int ix = ox * stride - pads.left() + kx;
              if (ix >= 0 && ix < iw) {
                acc += x[(iy * iw + ix) * c + ch] * w[ch * kh * kw + ky * kw + kx];
              }
            }
          }
          y[(oy * ow + ox) * c + ch] = relu ? Math.max(acc, 0f) : acc;
        }
      }
    }
    return y;
  }

  static float[] fullyConnected(float[] x, float[] w, float[] bias, int outC, int depth,
      boolean relu) {
    int batch = x.length / depth;
    float[] y = new float[batch * outC];
    for (int b = 0; b < batch; b++) {
      for (int o = 0; o < outC; o++) {
        float acc = bias[o];
        for (int i = 0; i < depth; i++) {
          acc += x[b * depth + i] * w[o * depth + i];
        }
        y[b * outC + o] = relu ? Math.max(acc, 0f) : acc;
      }
    }
    return y;
  }

  static float[] softmax(float[] x) {
    float max = Float.NEGATIVE_INFINITY;
    for (float v : x) {
      max = Math.max(max, v);
    }
    double sum = 0;
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (float) StrictMath.exp(x[i] - max);
      sum += y[i];
    }
    for (int i = 0; i < x.length; i++) {
      y[i] = (float) (y[i] / sum);
    }
    return y;
  }
}
