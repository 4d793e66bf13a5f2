package io.kiln.sim.dla;

import io.kiln.isa.dla.Opcode;

/**
 * The kinds of accelerator work the DLA's statistics are split into: the convolution core
 * (standard and matrix), the depthwise core, the requantizing output stage (with the stages
 * fused after it), pooling, element-wise instructions, and DMA.
 */
public enum SubgraphKind {
  CONV, DEPTH, REQUANT, POOL, ELTWISE, DMA;

  /** The kind of the array work of a compute opcode. */
  public static SubgraphKind of(Opcode op) {
    return switch (op) {
      case OP_CONV, OP_CONV_RELU, OP_MAT_MUL -> CONV;
      case OP_DEPTH_CONV -> DEPTH;
      case OP_REQUANT32 -> REQUANT;
      case OP_POOL -> POOL;
      case OP_DMA_READ, OP_DMA_WRITE, SYNC -> DMA;
      default -> ELTWISE;
    };
  }
}
