package io.kiln.plan.deploy;

import io.kiln.ir.Encoding;
import io.kiln.plan.schedule.Transfer;
import io.kiln.plan.weights.NmTiles;
import java.util.ArrayList;
import java.util.List;

/**
 * The check {@code weights-fit-format} of {@link DeploymentChecker}: every call whose weights are
 * stored N:M ({@link NmTiles}) has a blob of the format's size, and each tile's weight buffer and
 * weight transfer hold exactly its values and offsets, counted here from the format alone: a tile
 * of {@code k} output channels over {@code c} input channels stores {@code V = ceil(FY·FX·c / M)·N}
 * values a channel, {@code k·V} bytes of int8 values and {@code ceil(k·V·offsetBits / 8)} bytes of
 * offsets, which one transfer brings together.
 */
final class SparseWeightCheck {
  private SparseWeightCheck() {}

  static List<String> run(DeploymentPlan plan) {
    List<String> out = new ArrayList<>();
    for (Step.AcceleratorCall c : plan.calls()) {
      if (c.blobLayout().isEmpty() || !(c.blobLayout().get().weights() instanceof NmTiles nm)) {
        continue;
      }
      Encoding.NM f = nm.format();
      String layer = "node " + c.node() + " (" + f + ", " + nm.offsetBits() + "-bit offsets)";
      if (c.blob().isPresent() && c.blob().get().bytes() != c.blobLayout().get().bytes()) {
        out.add(layer + ": blob of " + c.blob().get().bytes() + " B, but its layout takes "
            + c.blobLayout().get().bytes() + " B");
      }
      int taps = c.geometry().shape().fy() * c.geometry().shape().fx();
      long weightsRegion = 0;
      for (TileJob j : c.jobs()) {
        long values = (long) j.k().length() * f.valuesPerRow(taps * j.c().length());
        long need = values + (values * nm.offsetBits() + 7) / 8;
        weightsRegion = Math.max(weightsRegion, need);
        String tile = layer + " tile " + j.tile() + " (K" + j.k() + " C" + j.c() + ")";
        if (j.weights().isEmpty()) {
          out.add(tile + " has no weight buffer");
        } else if (j.weights().get().bytes() < need) {
          out.add(tile + ": weight buffer of " + j.weights().get().bytes() + " B, but its " + values
              + " values and their offsets take " + need + " B");
        }
        for (DmaDescriptor d : c.transfers()) {
          if (d.kind() == Transfer.Kind.WEIGHTS && d.tile() == j.tile() && d.bytes() != need) {
            out.add(tile + ": weight DMA " + d.id() + " moves " + d.bytes() + " B, not its " + need
                + " B of values and offsets");
          }
        }
      }
      for (Step.Buffer b : c.buffers()) {
        if (b.role() == Transfer.Kind.WEIGHTS && b.region().bytes() < weightsRegion) {
          out.add(layer + ": weight buffer " + b.copy() + " of " + b.region().bytes() + " B, but its largest tile"
              + " takes " + weightsRegion + " B");
        }
      }
    }
    return out;
  }
}
