package io.kiln.frontend.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kiln.InputFiles;
import io.kiln.KilnException;
import io.kiln.frontend.ImportChecks;
import io.kiln.ir.DType;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Quantization;
import io.kiln.ir.Shape;
import io.kiln.ir.TensorType;
import io.kiln.ir.Verifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads an {@code .onnx} model (float, QDQ or operator-form quantized) into Kiln's IR and verifies
 * it. Whatever the bytes, it either returns a verified graph or throws a one-line
 * {@link KilnException}. ONNX activations stay in their NCHW layout; convolution-like and pooling
 * operators get explicit NCHW⇄NHWC transposes around Kiln's NHWC operators, which a later pass
 * cancels where adjacent.
 */
public final class OnnxImporter {
  /** The default-domain ("ai.onnx") opset versions whose operator semantics this importer knows. */
  public static final int MIN_OPSET = 7;
  public static final int MAX_OPSET = 25;

  private OnnxImporter() {}

  /** Imports {@code file}; the graph is named after the file without its extension. */
  public static Graph load(Path file) {
    // A device or FIFO is refused before reading; a Java array holds at most about 2 GB.
    byte[] bytes = InputFiles.read(file, Integer.MAX_VALUE - 64,
        reason -> "cannot read " + file + ": it " + reason);
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return load(bytes, dot > 0 ? name.substring(0, dot) : name);
  }

  public static Graph load(byte[] bytes, String name) {
    return load(bytes, name, Map.of());
  }

  /**
   * Imports a model held in memory. Graph inputs named in {@code bound} become constants with the
   * given data: a model may take a shape or quantization parameter as an input, which Kiln needs
   * to know at compile time.
   */
  public static Graph load(byte[] bytes, String name, Map<String, TensorProto> bound) {
    try {
      return convert(bytes, name, bound);
    } catch (KilnException e) {
      // Messages quote names and strings from the file: keep them one printable line.
      throw new KilnException(printable(e.getMessage()), e);
    }
  }

  /** Replaces line breaks and other control characters, which a hostile file may put in names. */
  static String printable(String s) {
    if (s == null) {
      return "(no message)";
    }
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return b.toString();
  }

  private static Graph convert(byte[] bytes, String name, Map<String, TensorProto> bound) {
    ModelProto model = parse(bytes, name);
    int opset = defaultOpset(model, name);
    refuseUnknownOperators(model, name);
    Graph g;
    try {
      g = new Conversion(model.getGraph(), name, opset, bound).run();
    } catch (KilnException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new KilnException(name + ": cannot import: " + e.getMessage());
    }
    try {
      return ImportChecks.check(Verifier.verify(g));
    } catch (KilnException e) {
      throw new KilnException(name + ": " + e.getMessage());
    }
  }

  /**
   * Names of the graph inputs that feed a slot Kiln needs constant (a shape, axes, bounds, or a
   * quantization parameter): callers that know their values pass them to {@link #load(byte[],
   * String, Map)} as bound inputs.
   */
  public static Set<String> staticInputNames(byte[] bytes, String name) {
    GraphProto g = parse(bytes, name).getGraph();
    Set<String> inputs = new LinkedHashSet<>();
    for (ValueInfoProto v : g.getInputList()) {
      inputs.add(v.getName());
    }
    Set<String> out = new LinkedHashSet<>();
    for (NodeProto n : g.getNodeList()) {
      for (int slot : OnnxOperators.staticSlots(n.getOpType())) {
        if (slot < n.getInputCount() && inputs.contains(n.getInput(slot))) {
          out.add(n.getInput(slot));
        }
      }
    }
    return out;
  }

  static ModelProto parse(byte[] bytes, String name) {
    if (bytes.length == 0) {
      throw new KilnException(name + " is empty, not an ONNX model");
    }
    ModelProto model;
    try {
      model = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new KilnException(name + " is not a valid ONNX model (malformed protobuf: "
          + firstLine(e.getMessage()) + ")");
    }
    if (!model.hasGraph() || !model.hasIrVersion()) {
      throw new KilnException(name + " is not an ONNX model: the protobuf has no "
          + (model.hasGraph() ? "ir_version" : "graph"));
    }
    return model;
  }

  private static int defaultOpset(ModelProto model, String name) {
    Integer version = null;
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      String d = o.getDomain();
      if (d.isEmpty() || d.equals("ai.onnx")) {
        version = (int) o.getVersion();
      }
    }
    if (version == null) {
      throw new KilnException(name + ": the model imports no ai.onnx opset; Kiln supports"
          + " ai.onnx opset versions " + MIN_OPSET + " to " + MAX_OPSET);
    }
    if (version < MIN_OPSET || version > MAX_OPSET) {
      throw new KilnException(name + ": unsupported opset ai.onnx version " + version
          + "; Kiln supports ai.onnx opset versions " + MIN_OPSET + " to " + MAX_OPSET);
    }
    return version;
  }

  static String firstLine(String s) {
    if (s == null) {
      return "no detail";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** Element type and static shape of a graph input or output declaration. */
  static TensorType declaredType(ValueInfoProto v, String what) {
    TypeProto t = v.getType();
    if (!t.hasTensorType()) {
      throw new KilnException(what + " '" + v.getName() + "' is not a tensor");
    }
    TypeProto.Tensor tt = t.getTensorType();
    DType dtype = OnnxTensors.dtype(tt.getElemType(), what + " '" + v.getName() + "'");
    if (!tt.hasShape()) {
      throw new KilnException(what + " '" + v.getName() + "' has no shape; Kiln needs static"
          + " shapes");
    }
    int[] dims = new int[tt.getShape().getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      TensorShapeProto.Dimension d = tt.getShape().getDim(i);
      if (!d.hasDimValue()) {
        throw new KilnException(what + " '" + v.getName() + "' has dynamic dimension "
            + (d.hasDimParam() ? "'" + d.getDimParam() + "'" : i) + "; Kiln needs static shapes");
      }
      dims[i] = Math.toIntExact(d.getDimValue());
    }
    return new TensorType(dtype, Shape.of(dims), Quantization.NONE);
  }

  /** One import run: leaves (initializers, inputs), then nodes in order, then outputs. */
  private static final class Conversion {
    private final GraphProto graph;
    private final String name;
    private final Map<String, TensorProto> bound;
    private final ImportContext ctx;

    Conversion(GraphProto graph, String name, int opset, Map<String, TensorProto> bound) {
      this.graph = graph;
      this.name = name;
      this.bound = bound;
      this.ctx = new ImportContext(new GraphBuilder(name), opset);
    }

    Graph run() {
      Map<String, OnnxTensors.Decoded> leafConstants = new HashMap<>();
      for (TensorProto t : graph.getInitializerList()) {
        leafConstants.put(t.getName(), OnnxTensors.decode(t));
      }
      for (Map.Entry<String, TensorProto> e : bound.entrySet()) {
        leafConstants.put(e.getKey(), OnnxTensors.decode(e.getValue()));
      }
      Map<String, Integer> ranks = new HashMap<>();
      Map<String, TensorType> inputTypes = new HashMap<>();
      for (ValueInfoProto v : graph.getInputList()) {
        if (!leafConstants.containsKey(v.getName())) {
          TensorType t = declaredType(v, "graph input");
          inputTypes.put(v.getName(), t);
          ranks.put(v.getName(), t.shape().rank());
        }
      }
      leafConstants.forEach((k, d) -> ranks.put(k, d.shape().rank()));
      // Constant nodes are constants too when quantization parameters are looked up.
      Map<String, OnnxTensors.Decoded> allConstants = new HashMap<>(leafConstants);
      for (int k = 0; k < graph.getNodeCount(); k++) {
        NodeProto n = graph.getNode(k);
        if (n.getOpType().equals("Constant") && n.getOutputCount() == 1) {
          OnnxTensors.Decoded d = OnnxOperators.constantValue(n, OnnxOperators.where(n, k));
          allConstants.put(n.getOutput(0), d);
        }
      }
      Map<String, Quantization> quant = OnnxQuantParams.forLeaves(graph,
          new OnnxQuantParams.Leaves() {
            @Override
            public float[] floats(String n) {
              OnnxTensors.Decoded d = allConstants.get(n);
              return d == null ? null : d.dtype() == DType.FLOAT32 ? d.data().asFloats() : null;
            }

            @Override
            public long[] longs(String n) {
              OnnxTensors.Decoded d = allConstants.get(n);
              return d == null || d.dtype() == DType.FLOAT32 ? null : d.data().asLongs(d.dtype());
            }

            @Override
            public int rank(String n) {
              return ranks.getOrDefault(n, -1);
            }
          });
      for (TensorProto t : graph.getInitializerList()) {
        addConstant(t.getName(), leafConstants.get(t.getName()), quant);
      }
      for (ValueInfoProto v : graph.getInputList()) {
        String n = v.getName();
        if (bound.containsKey(n)) {
          addConstant(n, leafConstants.get(n), quant);
        } else if (inputTypes.containsKey(n)) {
          ctx.input(n, inputTypes.get(n).withQuant(quant.getOrDefault(n, Quantization.NONE)));
        }
      }
      for (int k = 0; k < graph.getNodeCount(); k++) {
        OnnxOperators.convert(ctx, graph.getNode(k), k);
      }
      for (ValueInfoProto v : graph.getOutputList()) {
        int id = ctx.id(v.getName(), "graph output");
        TensorType actual = ctx.type(id);
        TensorType declared = declaredType(v, "graph output");
        if (declared.dtype() != actual.dtype() || !declared.shape().equals(actual.shape())) {
          throw new KilnException(name + ": inconsistent shapes: graph output '" + v.getName()
              + "' is declared " + declared.dtype().shortName() + declared.shape()
              + " but its operators compute " + actual.dtype().shortName() + actual.shape());
        }
        ctx.builder.output(id);
      }
      return ctx.builder.build();
    }

    private void addConstant(String n, OnnxTensors.Decoded d, Map<String, Quantization> quant) {
      TensorType t = new TensorType(d.dtype(), d.shape(),
          quant.getOrDefault(n, Quantization.NONE));
      ctx.bind(n, ctx.constant(n, t, d.data()));
    }
  }

  /** For tests: decodes a TensorProto file (ONNX test data) into its name and data. */
  public static TensorProto readTensor(Path file) {
    try {
      return TensorProto.parseFrom(InputFiles.read(file, Integer.MAX_VALUE - 64,
          reason -> "cannot read tensor " + file + ": it " + reason));
    } catch (IOException e) {
      throw new KilnException("cannot read tensor " + file + ": " + firstLine(e.getMessage()));
    }
  }

  /**
   * With more than one node of unknown operators, names every unknown type with its count in one
   * line (a single one gets the conversion's own message, which names its node).
   */
  private static void refuseUnknownOperators(ModelProto model, String name) {
    Map<String, Integer> unknown = new java.util.TreeMap<>();
    int nodes = 0;
    for (var node : model.getGraph().getNodeList()) {
      String domain = node.getDomain();
      boolean standard = domain.isEmpty() || domain.equals("ai.onnx");
      if (standard && !OnnxOperators.SUPPORTED.contains(node.getOpType())) {
        unknown.merge(node.getOpType(), 1, Integer::sum);
        nodes++;
      }
    }
    if (nodes > 1) {
      java.util.List<String> parts = new java.util.ArrayList<>();
      unknown.forEach((op, count) -> parts.add("'" + op + "'" + (count > 1 ? " (" + count + "x)"
          : "")));
      throw new KilnException(name + ": unknown operators " + String.join(", ", parts)
          + "; supported: " + String.join(", ", OnnxOperators.SUPPORTED));
    }
  }
}
