package io.kiln.prune;

import io.kiln.KilnException;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.Encoding;
import io.kiln.ir.Graph;
import io.kiln.ir.Node;
import io.kiln.ir.Value;
import io.kiln.passes.NmRecognition;
import java.util.ArrayList;
import java.util.List;

/**
 * N:M magnitude pruning of the selected layers of a float or int8 graph. Groups run along each
 * output channel's reduction in the order the kernels reduce: for a Conv2D filter [K, FY, FX, C]
 * the flattened FY·FX·C (the im2col order, channels fastest), for FullyConnected the input.
 *
 * <p>int8 weights keep their scales (each channel's largest weight survives) and get the
 * {@link Encoding.NM} encoding; float weights are zeroed and stay dense until quantization, after
 * which {@link NmRecognition} finds the pattern again.
 */
public final class Pruning {
  private Pruning() {}

  /** One pruned layer: its weights and how many were non-zero before and after. */
  public record PrunedLayer(String name, String op, String weights, int elements,
      int nonZeroBefore, int nonZeroAfter) {
    public double sparsity() {
      return elements == 0 ? 0 : 1.0 - (double) nonZeroAfter / elements;
    }
  }

  /** The pruned graph and what was pruned. */
  public record Result(Graph graph, List<PrunedLayer> layers) {}

  public static Result apply(Graph g, Encoding.NM format, LayerSelection selection) {
    List<Value> values = new ArrayList<>(g.values());
    List<PrunedLayer> pruned = new ArrayList<>();
    for (Node n : selection.select(g)) {
      Value w = g.input(n, NmRecognition.weightSlot(g, n).orElseThrow());
      int rows = w.shape().dim(0);
      String name = g.output(n).name();
      ConstData data;
      int before;
      int after;
      Encoding encoding = w.type().encoding();
      switch (w.dtype()) {
        case FLOAT32 -> {
          float[] dense = w.data().asFloats();
          float[] p = NmPruner.prune(dense, rows, format);
          before = nonZero(dense);
          after = nonZero(p);
          data = ConstData.ofFloats(p);
        }
        case INT8 -> {
          int channels = w.quant() instanceof io.kiln.ir.Quantization.PerAxis pa
              ? pa.channels() : 1;
          for (int c = 0; c < channels && w.quant().isQuantized(); c++) {
            if (w.quant().zeroPointAt(c) != 0) {
              throw new KilnException("cannot prune " + name + ": its int8 weights have a zero"
                  + " point, so 0 is not a zero weight");
            }
          }
          int[] dense = w.data().asInts(DType.INT8);
          int[] p = NmPruner.prune(dense, rows, format);
          before = nonZero(dense);
          after = nonZero(p);
          data = ConstData.ofInts(DType.INT8, p);
          encoding = format;
        }
        default -> throw new KilnException("cannot prune " + name + ": its weights are "
            + w.dtype().shortName() + " (float32 or int8 weights are pruned)");
      }
      values.set(w.id(), new Value(w.id(), w.name(), w.type().withEncoding(encoding), data));
      pruned.add(new PrunedLayer(name, n.op().opName(), w.name(), w.shape().elements(), before,
          after));
    }
    return new Result(new Graph(g.name(), values, g.nodes(), g.inputs(), g.outputs()), pruned);
  }

  private static int nonZero(float[] x) {
    int n = 0;
    for (float v : x) {
      n += v != 0f ? 1 : 0;
    }
    return n;
  }

  private static int nonZero(int[] x) {
    int n = 0;
    for (int v : x) {
      n += v != 0 ? 1 : 0;
    }
    return n;
  }
}
