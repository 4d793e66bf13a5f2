package io.kiln.plan.tiling;

/** The loop dimensions a layer is tiled over: output channels, input channels, output rows and columns. */
public enum Dim {
  K,
  C,
  OY,
  OX
}
