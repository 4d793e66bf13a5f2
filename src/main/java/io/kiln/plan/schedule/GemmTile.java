package io.kiln.plan.schedule;

import io.kiln.plan.deploy.TileJob;
import io.kiln.plan.tiling.Halo;
import io.kiln.plan.tiling.LayerShape;
import io.kiln.plan.tiling.Span;

/**
 * One tile of a convolution-like layer as the systolic engine sees it: {@code k} output channels
 * (array columns), {@code c} input channels, an {@code fy x fx} filter at {@code stride}, and the
 * output positions of one image it streams ({@code positions}) read from an input window of
 * {@code inputPositions} positions, for each of {@code batch} images (the weights stay in the array
 * across the batch, so the array streams {@code positions * batch} vectors per fold). A fully-connected layer or a matmul is
 * the 1x1 case; a depthwise layer runs one channel at a time.
 */
public record GemmTile(int k, int c, int fy, int fx, int stride, long positions,
    long inputPositions, int batch, boolean depthwise) {

  public GemmTile {
    if (k < 1 || c < 1 || fy < 1 || fx < 1 || stride < 1 || positions < 1 || inputPositions < 1
        || batch < 1) {
      throw new IllegalArgumentException("a GEMM tile needs positive sizes: " + k + "x" + c + " "
          + fy + "x" + fx + "/" + stride + " T=" + positions + " P=" + inputPositions);
    }
  }

  /** A plain GEMM: {@code t} rows of a {@code t x c} matrix times a {@code c x k} one. */
  public static GemmTile gemm(int k, int c, long t) {
    return new GemmTile(k, c, 1, 1, 1, t, t, 1, false);
  }

  /** A square convolution layer, whole, at {@code batch} images (SAME padding). */
  public static GemmTile conv(int wi, int c, int k, int wf, int stride, int batch) {
    long wo = (wi + stride - 1) / stride;
    return new GemmTile(k, c, wf, wf, stride, wo * wo, (long) wi * wi, batch, false);
  }

  /** One job of a planned layer, at {@code batch} images. */
  public static GemmTile of(LayerShape l, TileJob job, int batch) {
    return of(l, job.k(), job.c(), job.y(), job.x(), batch);
  }

  /**
   * The tile of layer {@code l} with output channels {@code k}, input channels {@code c} (a
   * depthwise layer's are its {@code k}), output rows {@code y} and columns {@code x}, reading the
   * input window their halo gives ({@link Halo}), at {@code batch} images.
   */
  public static GemmTile of(LayerShape l, Span k, Span c, Span y, Span x, int batch) {
    long t = (long) y.length() * x.length();
    long p = (long) Halo.rows(l, y).length() * Halo.cols(l, x).length();
    int stride = Math.max(l.strideY(), l.strideX());
    boolean depthwise = l.depthwise();
    return new GemmTile(k.length(), depthwise ? k.length() : c.length(), l.fy(), l.fx(), stride, t,
        Math.max(1, p), batch, depthwise);
  }

  /** Vectors one fold streams: every output position of every image. */
  public long streamed() {
    return positions * batch;
  }

  /** Multiply-accumulates of the tile. */
  public long macs() {
    return (long) k * (depthwise ? 1 : c) * fy * fx * streamed();
  }
}
