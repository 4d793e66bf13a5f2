package io.kiln.sim.systolic;

import io.kiln.plan.schedule.GemmTile;
import java.util.ArrayList;
import java.util.List;

/**
 * The GEMM layers of ResNet-50 (v1.5: the stride on the 3x3 conv) and VGG-16 at 224x224, as the
 * systolic engine's workloads for performance studies beyond TinyML: only their shapes matter for
 * timing, so they are lists of layers, with pooling (which the array does not run) left out.
 */
public final class NetworkShapes {
  private NetworkShapes() {}

  /** One conv (or, with {@code wi == 1}, a fully-connected) layer: W_I, C_I, C_O, W_F, stride. */
  public record Layer(String name, int wi, int c, int k, int wf, int stride) {
    /** The layer's GEMM tile for {@code batch} images. */
    public GemmTile tile(int batch) {
      return wi == 1 ? new GemmTile(k, c, 1, 1, 1, 1, 1, batch, false)
          : GemmTile.conv(wi, c, k, wf, stride, batch);
    }
  }

  public static List<Layer> resnet50() {
    List<Layer> l = new ArrayList<>();
    l.add(new Layer("conv1", 224, 3, 64, 7, 2));
    int[] blocks = {3, 4, 6, 3};
    int[] mid = {64, 128, 256, 512};
    int in = 64;
    int size = 56;
    for (int s = 0; s < 4; s++) {
      int out = mid[s] * 4;
      for (int b = 0; b < blocks[s]; b++) {
        int stride = b == 0 && s > 0 ? 2 : 1;
        String p = "conv" + (s + 2) + "_" + (b + 1);
        l.add(new Layer(p + "/1x1a", size, in, mid[s], 1, 1));
        l.add(new Layer(p + "/3x3", size, mid[s], mid[s], 3, stride));
        int outSize = size / stride;
        l.add(new Layer(p + "/1x1b", outSize, mid[s], out, 1, 1));
        if (b == 0) {
          l.add(new Layer(p + "/shortcut", size, in, out, 1, stride));
        }
        in = out;
        size = outSize;
      }
    }
    l.add(new Layer("fc", 1, 2048, 1000, 1, 1));
    return l;
  }

  public static List<Layer> vgg16() {
    List<Layer> l = new ArrayList<>();
    int[][] stages = {{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}};
    int in = 3;
    int size = 224;
    for (int s = 0; s < stages.length; s++) {
      for (int i = 0; i < stages[s][1]; i++) {
        l.add(new Layer("conv" + (s + 1) + "_" + (i + 1), size, in, stages[s][0], 3, 1));
        in = stages[s][0];
      }
      size /= 2;
    }
    l.add(new Layer("fc6", 1, 7 * 7 * 512, 4096, 1, 1));
    l.add(new Layer("fc7", 1, 4096, 4096, 1, 1));
    l.add(new Layer("fc8", 1, 4096, 1000, 1, 1));
    return l;
  }

  /** MACs of a network per image. */
  public static long macs(List<Layer> layers) {
    return layers.stream().mapToLong(x -> x.tile(1).macs()).sum();
  }
}
