package io.kiln.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.plan.deploy.DeploymentPlan;
import io.kiln.plan.deploy.Region;
import io.kiln.plan.dispatch.PlanReport;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report of a compile for a heterogeneous target: the plan's per-layer table (units,
 * rejections with reasons, tiles, L1 and DMA bytes, estimated cycles; the same rows {@code kiln
 * plan} prints, from the same plan), then where every byte of the program lives — the arena and
 * the weight blobs per memory, the most each unit-local memory holds — the object sizes, and what
 * the lowering changed numerically.
 *
 * @param memories per memory: what the program uses of it and its capacity
 * @param numerics lines on the numeric change of the lowered graph against the int8 graph
 * @param cpuKernels the kernel of each layer the CPU runs and why (an N:M layer's sparse or dense
 *     kernel, as {@code --sparse} and the cost estimate chose)
 */
public record DeployReport(PlanReport plan, String outputDir, List<String> files, List<MemoryRow> memories,
    ObjectSizes objects, List<String> numerics, List<CpuKernel> cpuKernels) {

  public DeployReport {
    files = List.copyOf(files);
    memories = List.copyOf(memories);
    numerics = List.copyOf(numerics);
    cpuKernels = List.copyOf(cpuKernels);
  }

  /** The kernel one CPU layer (node {@code index} of the lowered graph) got, and why. */
  public record CpuKernel(int index, String op, String kernel, String reason) {}

  /** The rows of {@code layers}, the CPU backend's report rows. */
  public static List<CpuKernel> cpuKernels(List<io.kiln.codegen.CompileResult.Layer> layers) {
    return layers.stream().map(l -> new CpuKernel(l.index(), l.op(), l.kernel(), l.kernelReason())).toList();
  }

  /**
   * One memory.
   *
   * @param arenaBytes the activation arena in it
   * @param blobBytes weight blobs in it
   * @param localPeakBytes the most one accelerator call's buffers reach in it (L1, weight memories)
   * @param usedBytes one past the last byte the program uses
   */
  public record MemoryRow(String memory, long capacityBytes, long arenaBytes, long blobBytes, long localPeakBytes,
      long usedBytes) {}

  /** The memory rows of {@code p}. */
  public static List<MemoryRow> memories(DeploymentPlan p, Map<String, Long> capacities) {
    Map<String, long[]> rows = new TreeMap<>();
    rows.computeIfAbsent(p.arena().memory(), k -> new long[4])[0] = p.arena().bytes();
    for (Region r : p.blobs().values()) {
      rows.computeIfAbsent(r.memory(), k -> new long[4])[1] += r.bytes();
    }
    p.localPeaks().forEach((m, b) -> rows.computeIfAbsent(m, k -> new long[4])[2] = b);
    p.sharedExtents().forEach((m, b) -> rows.computeIfAbsent(m, k -> new long[4])[3] = b);
    List<MemoryRow> out = new ArrayList<>();
    rows.forEach((m, v) -> out.add(new MemoryRow(m, capacities.getOrDefault(m, 0L), v[0], v[1], v[2],
        Math.max(v[2], v[3]))));
    return out;
  }

  /** The terminal form. */
  public String toText() {
    StringBuilder sb = new StringBuilder(plan.toText());
    sb.append("memories of the generated program:\n");
    for (MemoryRow m : memories) {
      sb.append(String.format(Locale.ROOT, "  %-18s %,12d / %,12d B used (arena %,d B, weight blobs %,d B,"
          + " largest call's buffers %,d B)%n", m.memory(), m.usedBytes(), m.capacityBytes(), m.arenaBytes(),
          m.blobBytes(), m.localPeakBytes()));
    }
    if (objects.available()) {
      sb.append(String.format(Locale.ROOT, "object sizes (%s): .text %,d B, .rodata %,d B, .data %,d B,"
          + " .bss %,d B%n", objects.command(), objects.textBytes(), objects.rodataBytes(), objects.dataBytes(),
          objects.bssBytes()));
    } else {
      sb.append("object sizes: n/a (").append(objects.reason()).append(")\n");
    }
    if (!cpuKernels.isEmpty()) {
      sb.append("CPU kernels of the generated program:\n");
      for (CpuKernel k : cpuKernels) {
        sb.append(String.format(Locale.ROOT, "  %3d %-18s %-20s %s%n", k.index(), k.op(), k.kernel(), k.reason()));
      }
    }
    for (String n : numerics) {
      sb.append(n).append('\n');
    }
    sb.append("generated into ").append(outputDir).append(": ").append(String.join(", ", files)).append('\n');
    return sb.toString();
  }

  /** The JSON form: the plan report's fields, plus {@code output_dir}, {@code files}, {@code memories}, {@code object_sizes}, {@code numerics},
   * {@code cpu_kernels}. */
  public String toJson() {
    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    try {
      ObjectNode root = (ObjectNode) m.readTree(plan.toJson());
      root.put("output_dir", outputDir);
      root.set("files", m.valueToTree(files));
      var mems = root.putArray("memories");
      for (MemoryRow r : memories) {
        ObjectNode o = mems.addObject();
        o.put("memory", r.memory());
        o.put("capacity_bytes", r.capacityBytes());
        o.put("arena_bytes", r.arenaBytes());
        o.put("blob_bytes", r.blobBytes());
        o.put("local_peak_bytes", r.localPeakBytes());
        o.put("used_bytes", r.usedBytes());
      }
      ObjectNode os = root.putObject("object_sizes");
      os.put("available", objects.available());
      os.put("command", objects.command());
      os.put("text_bytes", objects.textBytes());
      os.put("rodata_bytes", objects.rodataBytes());
      os.put("data_bytes", objects.dataBytes());
      os.put("bss_bytes", objects.bssBytes());
      os.put("reason", objects.reason());
      root.set("numerics", m.valueToTree(numerics));
      var kernels = root.putArray("cpu_kernels");
      for (CpuKernel k : cpuKernels) {
        ObjectNode o = kernels.addObject();
        o.put("index", k.index());
        o.put("op", k.op());
        o.put("kernel", k.kernel());
        o.put("kernel_reason", k.reason());
      }
      return m.writeValueAsString(root) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
