package io.kiln.target;

/**
 * The loop dimensions of a layer that an accelerator unrolls on its array and the tiler cuts:
 * output channels K, input channels C, output rows OY and columns OX, filter rows FY and columns
 * FX. A depthwise conv uses C for its channels (K = C there).
 */
public enum LoopDim {
  K, C, OY, OX, FY, FX
}
