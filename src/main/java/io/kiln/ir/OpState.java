package io.kiln.ir;

import java.util.List;

/**
 * The state an operator keeps from one invocation to the next: TFLite's variable tensors (the
 * SVDF activation state, the LSTM output and cell states) and the audio front-end's noise
 * estimate. The interpreter keeps it in its kernels across the samples of a batch, generated C
 * keeps it in static arrays ({@code KILN_STATE_BYTES}), and both return it to {@link
 * Buffer#resetByte()} on a reset, as TFLM's {@code ResetVariableTensors} does.
 */
public final class OpState {
  private OpState() {}

  /** One buffer of state: what it holds ({@code role}, a C-identifier-safe word) and its type. */
  public record Buffer(String role, TensorType type) {
    public Buffer {
      java.util.Objects.requireNonNull(role);
      java.util.Objects.requireNonNull(type);
    }

    public long bytes() {
      return type.bytes();
    }

    /**
     * The value every byte starts as: TFLM fills an int8 variable with its zero point and every
     * other variable with zero bytes.
     */
    public int resetByte() {
      return type.dtype() == DType.INT8 && type.quant() instanceof Quantization.PerTensor p
          ? (int) p.zeroPoint() : 0;
    }
  }

  /** The state of node {@code n} of {@code g}, empty for a stateless operator. */
  public static List<Buffer> of(Graph g, Node n) {
    return switch (n.op()) {
      case Op.Svdf s -> List.of(new Buffer("activation_state", s.state()));
      case Op.UnidirectionalLstm l -> List.of(new Buffer("hidden_state", l.hiddenState()),
          new Buffer("cell_state", l.cellState()));
      case Op.Signal s when s.kind().stateful() -> List.of(new Buffer("noise", g.output(n).type()));
      default -> List.of();
    };
  }

  /** Whether {@code n} keeps state (and so must run every invocation, never be folded). */
  public static boolean stateful(Graph g, Node n) {
    return !of(g, n).isEmpty();
  }

  /** Bytes of state the whole graph keeps between invocations. */
  public static long bytes(Graph g) {
    long sum = 0;
    for (Node n : g.nodes()) {
      for (Buffer b : of(g, n)) {
        sum += b.bytes();
      }
    }
    return sum;
  }
}
