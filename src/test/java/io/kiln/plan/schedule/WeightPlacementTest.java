package io.kiln.plan.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.plan.weights.BlobSlice;
import io.kiln.target.HardwareDescription;
import io.kiln.target.HardwareLoader;
import io.kiln.target.Presets;
import io.kiln.target.Targets;
import io.kiln.testing.SharedModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Weight placement on real models: L2 after the arena, the read-only fallback (with the layers
 * rescheduled to read flash), the reason when nothing fits, the CPU's constants in flash; and
 * the checkers catch placements and transfers that are wrong.
 */
class WeightPlacementTest {
  private static final String RESNET = "pretrainedResnet_quant";
  private static final String FLASH = """
        - name: flash
          size: 1 MiB
          bandwidth_bytes_per_cycle: 4
          latency_cycles: 3
          energy_pj_per_byte: 5.0
          writable: false
          readers: [host]

      dmas:
      """;

  @BeforeEach
  void models() {
    SharedModels.root();
  }

  /** DIANA with an L2 of {@code l2}, plus flash and its DMA engines when {@code dmas} is set. */
  static HardwareDescription diana(String l2, boolean flash, boolean dmas) {
    String yaml = Presets.commentedYaml("diana").orElseThrow()
        .replace("  - name: l2\n    size: 512 KiB", "  - name: l2\n    size: " + l2);
    if (flash) {
      yaml = yaml.replace("\ndmas:\n", "\n" + FLASH);
    }
    if (dmas) {
      StringBuilder sb = new StringBuilder();
      for (String to : List.of("l1", "digital.weights", "analog.weights")) {
        sb.append("  - name: dma_flash_").append(to.replace('.', '_')).append("\n    from: flash\n    to: ")
            .append(to).append("\n    bandwidth_bytes_per_cycle: 4\n    setup_cycles: 60\n");
      }
      yaml = yaml.replace("\ncpu:\n", "\n" + sb + "\ncpu:\n");
    }
    return HardwareLoader.parse(yaml, "test diana");
  }

  @Test
  void blobsFollowTheArenaInL2AlignedAndInLayerOrder() {
    HardwareDescription hw = Targets.resolve("diana");
    NetworkSchedule s = WeightBlobsMlperfTest.plan(hw, RESNET, "mixed", true).schedule();
    WeightPlacement w = s.placement();
    assertThat(w.arenaMemory()).isEqualTo("l2");
    assertThat(w.unplaced()).isEmpty();
    long at = w.arenaBytes();
    for (WeightPlacement.Blob b : w.blobs()) {
      assertThat(b.memory()).contains("l2");
      assertThat(b.offset()).isEqualTo((at + 15) / 16 * 16);
      at = b.end();
    }
    WeightPlacement.MemoryUse l2 = w.memories().get(0);
    assertThat(l2.usedBytes()).isEqualTo(at);
    assertThat(s.weightBytesByMemory()).containsEntry("l2", l2.weightBytes());
    assertThat(WeightPlacementChecker.check(hw, s)).isEmpty();
  }

  @Test
  void blobsThatDoNotFitL2GoToFlashAndTheirLayersReadItThere() {
    // The resnet's arena is 48 KiB: 64 KiB of L2 leaves room for part of its 22 KB of blobs.
    HardwareDescription hw = diana("64 KiB", true, true);
    NetworkSchedule s = WeightBlobsMlperfTest.plan(hw, RESNET, "mixed", true).schedule();
    assertThat(WeightPlacementChecker.check(hw, s)).isEmpty();
    List<WeightPlacement.Blob> inFlash = s.placement().blobs().stream()
        .filter(b -> b.memory().equals(Optional.of("flash"))).toList();
    assertThat(inFlash).isNotEmpty();
    assertThat(s.placement().blobs()).anyMatch(b -> b.memory().equals(Optional.of("l2")));
    for (WeightPlacement.Blob b : inFlash) {
      assertThat(b.note()).hasValueSatisfying(n -> assertThat(n).contains("l2 has").contains("read from flash"));
      LayerPlan p = s.layers().get(b.layer());
      assertThat(PlanChecker.check(p)).isEmpty();
      assertThat(p.transfers()).filteredOn(t -> t.source().isPresent()).allMatch(t -> t.from().equals("flash"));
    }
    assertThat(s.placement().memories()).extracting(WeightPlacement.MemoryUse::memory).contains("l2", "flash");
  }

  @Test
  void withoutAReachableFallbackABlobIsUnplacedWithTheReason() {
    HardwareDescription noDma = diana("64 KiB", true, false);
    NetworkSchedule s = WeightBlobsMlperfTest.plan(noDma, RESNET, "mixed", true).schedule();
    assertThat(s.placement().unplaced()).isNotEmpty().allSatisfy(b -> assertThat(b.note().orElseThrow())
        .startsWith("fits nowhere: l2 has").contains("no DMA engine reads flash into"));
    assertThat(WeightPlacementChecker.check(noDma, s)).isEmpty();

    HardwareDescription noFlash = diana("64 KiB", false, false);
    s = WeightBlobsMlperfTest.plan(noFlash, RESNET, "mixed", true).schedule();
    assertThat(s.placement().unplaced()).isNotEmpty().allSatisfy(b -> assertThat(b.note().orElseThrow())
        .contains("after the 49,152 B arena").contains("the description has no read-only memory"));
  }

  @Test
  void theCpusConstantsStayInFlashAndTheArenaInSram() {
    HardwareDescription hw = Targets.resolve("cpu");
    NetworkSchedule s = WeightBlobsMlperfTest.plan(hw, "kws_ref_model", "first", false).schedule();
    assertThat(s.placement().arenaMemory()).isEqualTo("sram");
    assertThat(s.placement().blobs()).isNotEmpty().allMatch(b -> b.memory().equals(Optional.of("flash"))
        && b.layout().equals("tflite"));
    assertThat(s.weightBytesByMemory()).containsOnlyKeys("flash");
    assertThat(WeightPlacementChecker.check(hw, s)).isEmpty();
  }

  @Test
  void theCheckerFindsOverlapsMisalignmentOverflowAndBlobsInTheArena() {
    HardwareDescription hw = Targets.resolve("diana");
    NetworkSchedule s = WeightBlobsMlperfTest.plan(hw, RESNET, "mixed", true).schedule();
    WeightPlacement w = s.placement();
    WeightPlacement.Blob first = w.blobs().get(0);
    WeightPlacement.Blob second = w.blobs().get(1);
    assertThat(errors(hw, s, w, 1, moved(second, first.offset() + 16)))
        .anyMatch(e -> e.contains("overlap in l2"));
    assertThat(errors(hw, s, w, 0, moved(first, first.offset() + 4))).anyMatch(e -> e.contains("not a multiple of 16"));
    assertThat(errors(hw, s, w, 0, moved(first, 0))).anyMatch(e -> e.contains("inside the 49152 B arena"));
    assertThat(errors(hw, s, w, 0, moved(first, 512 * 1024))).anyMatch(e -> e.contains("past the 524288 B of l2"));
    WeightPlacement.Blob flash = new WeightPlacement.Blob(first.layer(), first.node(), first.unit(), first.layout(),
        first.bytes(), first.paddingBytes(), Optional.of("l1"), first.offset(), Optional.empty());
    assertThat(errors(hw, s, w, 0, flash)).anyMatch(e -> e.contains("reads it from l2"));
    WeightPlacement.Blob small = new WeightPlacement.Blob(first.layer(), first.node(), first.unit(), first.layout(),
        first.bytes() - 1, first.paddingBytes(), first.memory(), first.offset(), Optional.empty());
    assertThat(errors(hw, s, w, 0, small)).anyMatch(e -> e.contains("but its layout takes"))
        .anyMatch(e -> e.contains("reports"));
  }

  @Test
  void thePlanCheckerFindsWeightTransfersThatReadTheWrongBytes() {
    HardwareDescription hw = Targets.resolve("diana");
    NetworkSchedule s = WeightBlobsMlperfTest.plan(hw, RESNET, "mixed", true).schedule();
    LayerPlan p = s.layers().stream().filter(x -> x.weightBlob().isPresent()).findFirst().orElseThrow();
    List<Transfer> shifted = new ArrayList<>();
    List<Transfer> unnamed = new ArrayList<>();
    for (Transfer t : p.transfers()) {
      if (t.kind() == Transfer.Kind.WEIGHTS) {
        BlobSlice x = t.source().orElseThrow();
        shifted.add(new Transfer(t.step(), t.from(), t.to(), t.bytes(), t.kind(), t.tileIndex(), t.cycles(),
            Optional.of(new BlobSlice(x.offset() + 1, x.runBytes(), x.strideBytes(), x.runs()))));
        unnamed.add(new Transfer(t.step(), t.from(), t.to(), t.bytes(), t.kind(), t.tileIndex(), t.cycles()));
      } else {
        shifted.add(t);
        unnamed.add(t);
      }
    }
    assertThat(PlanChecker.check(withTransfers(p, shifted))).anyMatch(e -> e.contains("which misses weight")
        || e.contains("past the weights region"));
    assertThat(PlanChecker.check(withTransfers(p, unnamed))).anyMatch(e -> e.contains("names no slice"));
  }

  private static LayerPlan withTransfers(LayerPlan p, List<Transfer> transfers) {
    return p.withTransfers(transfers);
  }

  private static WeightPlacement.Blob moved(WeightPlacement.Blob b, long offset) {
    return new WeightPlacement.Blob(b.layer(), b.node(), b.unit(), b.layout(), b.bytes(), b.paddingBytes(), b.memory(),
        offset, b.note());
  }

  /** The checker's errors for {@code s} with blob {@code i} replaced. */
  private static List<String> errors(HardwareDescription hw, NetworkSchedule s, WeightPlacement w, int i,
      WeightPlacement.Blob replacement) {
    List<WeightPlacement.Blob> blobs = new ArrayList<>(w.blobs());
    blobs.set(i, replacement);
    WeightPlacement tampered = new WeightPlacement(w.arenaMemory(), w.arenaBytes(), w.alignment(), blobs,
        w.memories());
    return WeightPlacementChecker.check(hw, new NetworkSchedule(s.layers(), s.totalCycles(), s.latencySeconds(),
        s.arenaBytes(), tampered, s.residentWeightBytes()));
  }
}
