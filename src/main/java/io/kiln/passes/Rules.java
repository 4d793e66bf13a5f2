package io.kiln.passes;

import java.util.List;

/** The named rule sets the passes apply; {@link Pipeline#DEFAULT} orders them. */
public final class Rules {
  private Rules() {}

  public static final List<Rule> FOLD_CONSTANTS = List.of(ConstantFolding.FOLD_SHAPE,
      ConstantFolding.FOLD);

  public static final List<Rule> FOLD_DEQUANTIZE = List.of(ConstantFolding.FOLD_DEQUANTIZE);

  public static final List<Rule> IDENTITIES = List.of(Identities.IDENTITY_OP,
      Identities.RESHAPE_IDENTITY,
      Identities.RESHAPE_CHAIN, Identities.TRANSPOSE_IDENTITY, Identities.TRANSPOSE_PAIR,
      Identities.TRANSPOSE_AS_RESHAPE, Identities.QUANTIZE_IDENTITY);

  public static final List<Rule> QDQ = List.of(QdqElimination.WEIGHTED, QdqElimination.BINARY,
      QdqElimination.UNARY, QdqElimination.PAIR);

  public static final List<Rule> FOLD_BATCHNORM = List.of(BatchNormFolding.FOLD);

  public static final List<Rule> FOLD_PAD = List.of(PadFolding.FOLD_PAD);

  public static final List<Rule> FUSE_ACTIVATION = List.of(ActivationFusion.FUSE);

  /** Not in the default pipeline: fusing across a requantization is not bit-exact. */
  public static final List<Rule> FUSE_ACTIVATION_REQUANTIZING =
      List.of(ActivationFusion.FUSE_REQUANTIZING);

  /** Transposes sink through element-wise operators and cancel when they meet. */
  public static final List<Rule> LAYOUT = List.of(LayoutRules.SINK_UNARY, LayoutRules.SINK_BINARY,
      Identities.TRANSPOSE_IDENTITY, Identities.TRANSPOSE_PAIR);

  /** Integer graphs made by Q/DQ elimination get their pads and activations folded too. */
  public static final List<Rule> FUSE_AFTER_QDQ = List.of(PadFolding.FOLD_PAD,
      ActivationFusion.FUSE);
}
