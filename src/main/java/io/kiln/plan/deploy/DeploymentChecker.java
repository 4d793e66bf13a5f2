package io.kiln.plan.deploy;

import io.kiln.plan.schedule.Transfer;
import io.kiln.target.Accelerator;
import io.kiln.target.HardwareDescription;
import io.kiln.target.MemoryLevel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Re-verifies a {@link DeploymentPlan} from its own records, independently of the code that made
 * it. Each check is named; {@link #check} runs them all and returns every violation, empty for a
 * sound plan.
 */
public final class DeploymentChecker {
  private DeploymentChecker() {}

  /** One named check. */
  public interface Check {
    String name();

    List<String> run(DeploymentPlan plan);
  }

  /** The checks, in the order they run. */
  public static final List<Check> CHECKS = List.of(
      check("memories-bounded", DeploymentChecker::memoriesBounded),
      check("dma-in-memory", DeploymentChecker::dmaInMemory),
      check("dma-in-tensor", DeploymentChecker::dmaInTensor),
      check("tiles-cover-output-once", DeploymentChecker::coverOnce),
      check("blobs-clear-of-arena", DeploymentChecker::blobsClear),
      check("weights-fit-format", SparseWeightCheck::run),
      check("buffers-read-before-overwrite", BufferOrderCheck::run));

  /** Every violation of every check, each prefixed with the check's name. */
  public static List<String> check(DeploymentPlan plan) {
    List<String> out = new ArrayList<>();
    for (Check c : CHECKS) {
      for (String e : c.run(plan)) {
        out.add(c.name() + ": " + e);
      }
    }
    return out;
  }

  private static Check check(String name, java.util.function.Function<DeploymentPlan, List<String>> f) {
    return new Check() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<String> run(DeploymentPlan plan) {
        return f.apply(plan);
      }
    };
  }

  /** The size of a memory of the description, including accelerators' private ones. */
  static Optional<Long> capacity(HardwareDescription hw, String memory) {
    Optional<Long> shared = hw.memory(memory).map(MemoryLevel::sizeBytes);
    if (shared.isPresent()) {
      return shared;
    }
    for (Accelerator a : hw.accelerators()) {
      Optional<MemoryLevel> w = a.weightMemory().filter(m -> m.name().equals(memory));
      if (w.isPresent()) {
        return Optional.of(w.get().sizeBytes());
      }
    }
    return Optional.empty();
  }

  private static List<String> inside(HardwareDescription hw, Region r, String what) {
    Optional<Long> cap = capacity(hw, r.memory());
    if (cap.isEmpty()) {
      return List.of(what + " is in '" + r.memory() + "', which the description does not have");
    }
    return r.end() > cap.get() ? List.of(what + " ends at byte " + r.end() + " of '" + r.memory() + "' ("
        + cap.get() + " B)") : List.of();
  }

  private static List<String> memoriesBounded(DeploymentPlan plan) {
    List<String> out = new ArrayList<>(inside(plan.hardware(), plan.arena(), "the arena"));
    plan.blobs().forEach((node, r) -> out.addAll(inside(plan.hardware(), r, "the blob of node " + node)));
    plan.values().forEach((v, r) -> {
      if (r.end() > plan.arena().end()) {
        out.add("value %" + v + " ends at " + r.end() + ", past the arena (" + plan.arena().end() + " B)");
      }
    });
    for (Step.AcceleratorCall c : plan.calls()) {
      for (Step.Buffer b : c.buffers()) {
        out.addAll(inside(plan.hardware(), b.region(), b.role() + " buffer " + b.copy() + " of node " + c.node()));
      }
    }
    return out;
  }

  private static List<String> dmaInMemory(DeploymentPlan plan) {
    List<String> out = new ArrayList<>();
    for (Step.AcceleratorCall c : plan.calls()) {
      for (DmaDescriptor d : c.transfers()) {
        String what = "node " + c.node() + " tile " + d.tile() + " " + d.kind() + " DMA " + d.id();
        out.addAll(inside(plan.hardware(), d.srcExtent(), what + " source"));
        out.addAll(inside(plan.hardware(), d.dstExtent(), what + " destination"));
      }
    }
    return out;
  }

  /**
   * Each activation transfer reads or writes only its own tensor; each weight transfer its blob (a
   * matmul's, whose weights are its right operand, that operand's tensor in the arena).
   */
  private static List<String> dmaInTensor(DeploymentPlan plan) {
    List<String> out = new ArrayList<>();
    for (Step.AcceleratorCall c : plan.calls()) {
      for (DmaDescriptor d : c.transfers()) {
        Region l2 = switch (d.kind()) {
          case INPUT -> c.input().region();
          case OPERAND -> c.operand().map(TensorPlace::region).orElse(null);
          case OUTPUT -> c.output().region();
          case WEIGHTS, PARAMS -> c.blob().orElseGet(() -> c.geometry().dynamicWeights()
              ? plan.values().get(plan.graph().nodes().get(c.node()).input(1)) : null);
        };
        Region touched = d.kind() == Transfer.Kind.OUTPUT ? d.dstExtent() : d.srcExtent();
        if (l2 == null || !touched.memory().equals(l2.memory()) || touched.offset() < l2.offset()
            || touched.end() > l2.end()) {
          out.add("node " + c.node() + " tile " + d.tile() + " " + d.kind() + " DMA " + d.id() + " touches "
              + touched + " outside " + l2);
        }
        Region local = d.kind() == Transfer.Kind.OUTPUT ? d.srcExtent() : d.dstExtent();
        boolean inBuffer = c.buffers().stream().anyMatch(b -> b.role() == d.kind()
            && b.region().memory().equals(local.memory()) && local.offset() >= b.region().offset()
            && local.end() <= b.region().end());
        if (!inBuffer) {
          out.add("node " + c.node() + " tile " + d.tile() + " " + d.kind() + " DMA " + d.id() + " touches " + local
              + ", which is no " + d.kind() + " buffer");
        }
      }
    }
    return out;
  }

  /** The write-backs of a call write every byte of its output tensor exactly once. */
  private static List<String> coverOnce(DeploymentPlan plan) {
    List<String> out = new ArrayList<>();
    for (Step.AcceleratorCall c : plan.calls()) {
      Region r = c.output().region();
      int[] writes = new int[Math.toIntExact(r.bytes())];
      Map<String, Integer> bad = new HashMap<>();
      for (DmaDescriptor d : c.transfers()) {
        if (d.kind() != Transfer.Kind.OUTPUT) {
          continue;
        }
        d.forEachRun((src, dst) -> {
          for (long b = dst; b < dst + d.run(); b++) {
            long i = b - r.offset();
            if (i < 0 || i >= writes.length) {
              bad.merge("outside", 1, Integer::sum);
            } else {
              writes[(int) i]++;
            }
          }
        });
      }
      int never = 0;
      int twice = 0;
      for (int w : writes) {
        never += w == 0 ? 1 : 0;
        twice += w > 1 ? 1 : 0;
      }
      if (never > 0 || twice > 0 || !bad.isEmpty()) {
        out.add("node " + c.node() + ": " + never + " output bytes never written, " + twice + " written twice, "
            + bad.getOrDefault("outside", 0) + " written outside the output");
      }
    }
    return out;
  }

  private static List<String> blobsClear(DeploymentPlan plan) {
    List<String> out = new ArrayList<>();
    List<Map.Entry<Integer, Region>> blobs = new ArrayList<>(plan.blobs().entrySet());
    blobs.sort(Map.Entry.comparingByKey());
    for (int i = 0; i < blobs.size(); i++) {
      Region a = blobs.get(i).getValue();
      if (a.overlaps(plan.arena())) {
        out.add("the blob of node " + blobs.get(i).getKey() + " " + a + " overlaps the arena " + plan.arena());
      }
      for (int j = i + 1; j < blobs.size(); j++) {
        if (a.overlaps(blobs.get(j).getValue())) {
          out.add("the blobs of nodes " + blobs.get(i).getKey() + " and " + blobs.get(j).getKey() + " overlap");
        }
      }
    }
    return out;
  }
}
