package io.kiln.target;

/** The activation layout a unit reads and writes; the IR's canonical one is NHWC. */
public enum Layout {
  /** Channels innermost (TFLite, CMSIS-NN). */
  NHWC,
  /** Channels outermost, then rows, then columns (DIANA's accelerators). */
  CHW
}
