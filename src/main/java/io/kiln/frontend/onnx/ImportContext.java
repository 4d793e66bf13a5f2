package io.kiln.frontend.onnx;

import io.kiln.KilnException;
import io.kiln.ir.ConstData;
import io.kiln.ir.DType;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of one ONNX import: the graph being built, which Kiln value each ONNX tensor name
 * denotes, the data of constants (shape-computing inputs must be constants), the default-domain
 * opset, and the quantization each integer graph input or initializer carries.
 */
final class ImportContext {
  final GraphBuilder builder;
  final int opset;
  private final Map<String, Integer> ids = new HashMap<>();
  private final Map<Integer, ConstData> constants = new HashMap<>();

  ImportContext(GraphBuilder builder, int opset) {
    this.builder = builder;
    this.opset = opset;
  }

  boolean defined(String name) {
    return ids.containsKey(name);
  }

  void bind(String name, int id) {
    ids.put(name, id);
  }

  /** The value an ONNX tensor name denotes; {@code ""} (an omitted optional input) is absent. */
  int id(String name, String where) {
    if (name.isEmpty()) {
      return Node.ABSENT;
    }
    Integer id = ids.get(name);
    if (id == null) {
      throw new KilnException(where + ": input '" + name + "' is not defined by any initializer,"
          + " graph input or earlier node (missing initializer?)");
    }
    return id;
  }

  TensorType type(int id) {
    return builder.type(id);
  }

  Shape shape(int id) {
    return builder.type(id).shape();
  }

  int input(String name, TensorType t) {
    int id = builder.input(name, t);
    bind(name, id);
    return id;
  }

  int constant(String name, TensorType t, ConstData data) {
    int id = builder.constant(name, t, data);
    constants.put(id, data);
    return id;
  }

  boolean isConstant(int id) {
    return constants.containsKey(id);
  }

  ConstData data(int id) {
    return constants.get(id);
  }

  /** A unique name for an intermediate value derived from an ONNX tensor name. */
  String derived(String base, String what) {
    return base + "#" + what;
  }

  int apply(Op op, List<Integer> ins, String outName, DType dtype, Quantization quant) {
    return builder.apply(op, ins, outName, dtype, quant);
  }

  /** A single-output op whose result has the element type and quantization of {@code like}. */
  int applyLike(Op op, List<Integer> ins, String outName, int like) {
    TensorType t = type(like);
    return apply(op, ins, outName, t.dtype(), t.quant());
  }

  /**
   * Transposes a value; constants are permuted at import (so weights need no runtime transpose),
   * anything else gets an explicit {@link Op.Transpose}. A per-axis quantization follows its axis.
   */
  int transpose(int id, int[] perm, String outName) {
    TensorType t = type(id);
    Quantization q = permutedQuant(t.quant(), perm);
    List<Integer> p = new ArrayList<>();
    for (int v : perm) {
      p.add(v);
    }
    Op.Transpose op = new Op.Transpose(p);
    if (isConstant(id)) {
      Shape out = io.kiln.ir.ShapeInference.infer(op, List.of(t));
      byte[] src = data(id).bytes();
      int eb = t.dtype().bytes();
      byte[] dst = new byte[src.length];
      int[] inStrides = t.shape().strides();
      int[] idx = new int[out.rank()];
      int n = out.elements();
      for (int i = 0; i < n; i++) {
        int srcIndex = 0;
        for (int a = 0; a < out.rank(); a++) {
          srcIndex += idx[a] * inStrides[perm[a]];
        }
        System.arraycopy(src, srcIndex * eb, dst, i * eb, eb);
        for (int a = out.rank() - 1; a >= 0; a--) {
          if (++idx[a] < out.dim(a)) {
            break;
          }
          idx[a] = 0;
        }
      }
      return constant(outName, new TensorType(t.dtype(), out, q), ConstData.ofBytes(dst));
    }
    return apply(op, List.of(id), outName, t.dtype(), q);
  }

  static Quantization permutedQuant(Quantization q, int[] perm) {
    if (q instanceof Quantization.PerAxis pa) {
      for (int i = 0; i < perm.length; i++) {
        if (perm[i] == pa.axis()) {
          return new Quantization.PerAxis(i, pa.scales(), pa.zeroPoints());
        }
      }
    }
    return q;
  }

  /** Reshapes a value (constants keep being constants). */
  int reshape(int id, Shape shape, String outName) {
    TensorType t = type(id);
    if (isConstant(id)) {
      if (t.shape().elements() != shape.elements()) {
        throw new KilnException("cannot reshape constant '" + outName + "' " + t.shape() + " to "
            + shape);
      }
      return constant(outName, t.withShape(shape), data(id));
    }
    return apply(new Op.Reshape(shape), List.of(id), outName, t.dtype(), t.quant());
  }

  /** Integer values of a constant int32/int64 input, for shape-computing inputs. */
  long[] constLongs(int id, String what, String where) {
    ConstData d = requireConstant(id, what, where);
    DType dt = type(id).dtype();
    if (dt != DType.INT64 && dt != DType.INT32) {
      throw new KilnException(where + ": " + what + " must be int64 or int32, not "
          + dt.shortName());
    }
    return d.asLongs(dt);
  }

  /** Real values of a constant input of any numeric type, for bounds and scales. */
  float[] constFloats(int id, String what, String where) {
    ConstData d = requireConstant(id, what, where);
    DType dt = type(id).dtype();
    if (dt == DType.FLOAT32) {
      return d.asFloats();
    }
    long[] l = d.asLongs(dt);
    float[] f = new float[l.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = l[i];
    }
    return f;
  }

  ConstData requireConstant(int id, String what, String where) {
    ConstData d = constants.get(id);
    if (d == null) {
      throw new KilnException(where + ": " + what + " must be a constant (an initializer or"
          + " Constant node), but it is computed at run time; Kiln needs static shapes and"
          + " quantization parameters");
    }
    return d;
  }
}
