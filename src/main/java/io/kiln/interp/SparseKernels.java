package io.kiln.interp;

import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.NmWeights;
import io.kiln.ir.Op;

/**
 * Reference int8 Conv2D and FullyConnected for {@link Encoding.NM} weights: the weights are
 * packed as the encoding stores them (which fails loudly if the data breaks the pattern), and the
 * sum runs over the stored values only, each finding its input through its offset. Skipped
 * weights are zero, so the sum equals the dense kernel's term for term; padding taps are skipped
 * exactly as the dense reference skips them.
 */
final class SparseKernels {
  private SparseKernels() {}

  static Tensor conv(ConvGeometry geo, Encoding.NM nm, ConvQuantParams q, Tensor[] args) {
    int[] input = args[Op.Conv2D.INPUT].ints;
    NmWeights w = NmWeights.pack(args[Op.Conv2D.FILTER].ints, geo.outC(), nm);
    int[] offsets = NmWeights.unpackOffsets(w.packedOffsets(), nm, w.rows(), w.length());
    int per = w.valuesPerRow();
    int tapsPerRow = geo.kW() * geo.inC();
    Tensor bias = ConvKernels.arg(args, Op.Conv2D.BIAS);
    Tensor output = Tensor.zeros(args[Op.Conv2D.INPUT].dtype, ConvKernels.outShape(geo));
    for (int b = 0; b < geo.batches(); b++) {
      for (int oy = 0; oy < geo.outH(); oy++) {
        int inYOrigin = oy * geo.strideH() - geo.padTop();
        for (int ox = 0; ox < geo.outW(); ox++) {
          int inXOrigin = ox * geo.strideW() - geo.padLeft();
          for (int oc = 0; oc < geo.outC(); oc++) {
            // The same terms as the dense sum minus its zero-weight ones: exact in int32.
            long acc = 0;
            for (int j = 0; j < per; j++) {
              int value = w.values()[oc * per + j];
              if (value == 0) {
                continue;
              }
              // The reduction index in im2col order (FY, FX, C) back to the tap it reads.
              int k = w.index(j, offsets[oc * per + j]);
              int fy = k / tapsPerRow;
              int fx = k % tapsPerRow / geo.inC();
              int ic = k % geo.inC();
              int iy = inYOrigin + geo.dilationH() * fy;
              int ix = inXOrigin + geo.dilationW() * fx;
              if (geo.insideInput(iy, ix)) {
                acc += value * (input[geo.inputIndex(b, iy, ix, ic)] + q.inputOffset());
              }
            }
            if (bias != null) {
              acc += ConvKernels.biasAt(bias, oc);
            }
            output.ints[geo.outputIndex(b, oy, ox, oc)] = q.requantize(acc, oc);
          }
        }
      }
    }
    return output;
  }

  static Tensor fullyConnected(int batches, int depth, int outDepth, Encoding.NM nm,
      ConvQuantParams q, DType outType, io.kiln.ir.Shape outShape, Tensor[] args) {
    int[] input = args[Op.FullyConnected.INPUT].ints;
    NmWeights w = NmWeights.pack(args[Op.FullyConnected.WEIGHTS].ints, outDepth, nm);
    int[] offsets = NmWeights.unpackOffsets(w.packedOffsets(), nm, w.rows(), w.length());
    int per = w.valuesPerRow();
    Tensor bias = ConvKernels.arg(args, Op.FullyConnected.BIAS);
    Tensor output = Tensor.zeros(outType, outShape);
    for (int b = 0; b < batches; b++) {
      for (int oc = 0; oc < outDepth; oc++) {
        long acc = 0;
        for (int j = 0; j < per; j++) {
          int i = w.index(j, offsets[oc * per + j]);
          acc += w.values()[oc * per + j] * (input[b * depth + i] + q.inputOffset());
        }
        if (bias != null) {
          acc += ConvKernels.biasAt(bias, oc);
        }
        output.ints[oc + outDepth * b] = q.requantize(acc, oc);
      }
    }
    return output;
  }
}
