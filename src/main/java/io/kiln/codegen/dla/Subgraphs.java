package io.kiln.codegen.dla;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.KilnException;
import io.kiln.frontend.tflite.TfliteImporter;
import io.kiln.frontend.tflite.TfliteWriter;
import io.kiln.ir.Graph;
import io.kiln.ir.GraphBuilder;
import io.kiln.ir.Node;
import io.kiln.ir.Op;
import io.kiln.ir.Value;
import io.kiln.plan.deploy.DeploymentPlan;
import io.kiln.plan.deploy.Step;
import io.kiln.target.Accelerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The accelerator subgraphs of a DLA deployment as a file portable across ISA variants: each DLA
 * call's layer (with its fused stages) as a small integer TFLite model of its own, with its kind
 * (CONV, DEPTH, POOL, ELTWISE, REQUANT), so that {@code kiln dla assemble} plans and generates the
 * command streams of another variant (PE count, SRAM, parallelism, depthwise support) without the
 * model. A subgraph holds the int8 layer before target lowering; each variant lowers it itself.
 */
public final class Subgraphs {
  /** The format's name and version, the file's first field. */
  public static final String FORMAT = "kiln-dla-subgraphs/1";

  private Subgraphs() {}

  /** One subgraph: its position in the deployment, its kind, the layer's name and its model. */
  public record Subgraph(int index, String kind, String layer, Graph graph) {}

  /** The kind of a layer's main operator. */
  static String kind(Op op) {
    return switch (op) {
      case Op.Conv2D c -> "CONV";
      case Op.FullyConnected f -> "CONV";
      case Op.MatMul m -> "CONV";
      case Op.DepthwiseConv2D d -> "DEPTH";
      case Op.MaxPool2D p -> "POOL";
      case Op.AveragePool2D p -> "POOL";
      case Op.Add a -> "ELTWISE";
      case Op.Mul m -> "ELTWISE";
      default -> "REQUANT";
    };
  }

  /**
   * The subgraphs of {@code plan}'s DLA calls, cut from {@code graph}: the integer model the plan
   * was made from (lowering keeps node indices, so the plan's node numbers name its nodes).
   */
  public static String toJson(Graph graph, DeploymentPlan plan, String model) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = m.createObjectNode();
    root.put("format", FORMAT);
    root.put("model", model);
    ArrayNode list = root.putArray("subgraphs");
    int index = 0;
    for (Step s : plan.steps()) {
      if (!(s instanceof Step.AcceleratorCall c) || c.unit().kind() != Accelerator.Kind.NVDLA) {
        continue;
      }
      List<Integer> nodes = new ArrayList<>();
      nodes.add(c.node());
      nodes.addAll(c.fused());
      Node main = graph.nodes().get(c.node());
      ObjectNode o = list.addObject();
      o.put("index", index++);
      o.put("kind", kind(main.op()));
      o.put("layer", main.op().opName() + " %" + main.output());
      o.put("tflite", Base64.getEncoder().encodeToString(TfliteWriter.write(cut(graph, nodes))));
    }
    try {
      return m.enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The nodes {@code indices} of {@code g} as a graph: outside values become inputs, the last node's output its output. */
  static Graph cut(Graph g, List<Integer> indices) {
    GraphBuilder b = new GraphBuilder("subgraph");
    Map<Integer, Integer> ids = new HashMap<>();
    for (int k : indices) {
      Node n = g.nodes().get(k);
      List<Integer> ins = new ArrayList<>();
      for (int id : n.inputs()) {
        if (id == Node.ABSENT) {
          ins.add(Node.ABSENT);
          continue;
        }
        Integer mapped = ids.get(id);
        if (mapped == null) {
          Value v = g.value(id);
          mapped = v.isConstant() ? b.constant(v.name(), v.type(), v.data()) : b.input(v.name(), v.type());
          ids.put(id, mapped);
        }
        ins.add(mapped);
      }
      Value out = g.output(n);
      ids.put(out.id(), b.apply(n.op(), ins, out.name(), out.dtype(), out.quant()));
    }
    b.output(ids.get(g.nodes().get(indices.get(indices.size() - 1)).output()));
    return b.build();
  }

  /** Reads a subgraph file; anything malformed is one line naming where in it. */
  public static List<Subgraph> read(String json, String source) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (JsonProcessingException e) {
      long at = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
      throw new KilnException(source + ": offset " + at + ": not JSON (" + e.getOriginalMessage() + ")");
    }
    if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").asText(null))) {
      throw new KilnException(source + ": not a DLA subgraph file (expected \"format\": \"" + FORMAT + "\")");
    }
    JsonNode list = root.get("subgraphs");
    if (list == null || !list.isArray()) {
      throw new KilnException(source + ": field subgraphs: expected an array");
    }
    List<Subgraph> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode s = list.get(i);
      String where = source + ": subgraphs[" + i + "]";
      String kind = text(s, "kind", where);
      if (!List.of("CONV", "DEPTH", "POOL", "ELTWISE", "REQUANT").contains(kind)) {
        throw new KilnException(where + ".kind: unknown subgraph kind '" + kind + "'");
      }
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(text(s, "tflite", where));
      } catch (IllegalArgumentException e) {
        throw new KilnException(where + ".tflite: not base64 (" + e.getMessage() + ")");
      }
      Graph g;
      try {
        g = TfliteImporter.load(bytes, "subgraph" + i);
      } catch (KilnException e) {
        throw new KilnException(where + ".tflite: " + e.getMessage());
      }
      out.add(new Subgraph(i, kind, text(s, "layer", where), g));
    }
    return out;
  }

  private static String text(JsonNode s, String field, String where) {
    JsonNode v = s == null ? null : s.get(field);
    if (v == null || !v.isTextual()) {
      throw new KilnException(where + "." + field + ": missing or not a string");
    }
    return v.asText();
  }
}
