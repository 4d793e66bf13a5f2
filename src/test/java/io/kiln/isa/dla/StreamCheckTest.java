package io.kiln.isa.dla;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The static check follows the register file and rejects a DMA outside its memory with its offset. */
class StreamCheckTest {
  static final List<String> NAMES = List.of("sram", "dram");
  static final List<Long> SIZES = List.of(512L * 1024, 1L << 29);

  static void check(String asm) {
    List<Integer> offsets = new ArrayList<>();
    List<Instruction> s = Encoding.decode(Encoding.encode(Assembly.assemble(asm)), offsets);
    StreamCheck.check(s, offsets, NAMES, SIZES);
  }

  static final String READ = """
      set_reg dma_src_mem 1
      set_reg dma_dst_mem 0
      set_reg dma_run 1024
      set_reg dma_rows 4
      set_reg dma_planes 1
      set_reg dma_src_row 2048
      set_reg dma_dst_row 1024
      set_reg dma_dst %d
      op_dma_read 0 role 0
      """;

  @Test
  void aDmaInsideSramPasses() {
    assertThatCode(() -> check(READ.formatted(512 * 1024 - 4096) + "sync 0\n")).doesNotThrowAnyException();
  }

  @Test
  void aDmaReachingPastTheSramFails() {
    // Eight set_reg of 8 bytes each after the 8-byte header: the DMA word is at offset 72.
    assertThatThrownBy(() -> check(READ.formatted(512 * 1024 - 4095) + "sync 0\n"))
        .isInstanceOf(StreamFormatException.class)
        .hasMessage("at offset 72: op_dma_read 0: destination bytes 520193..524289 outside sram (524288 B)");
  }

  @Test
  void unknownMemoryUnstartedSyncAndUnsyncedDma() {
    assertThatThrownBy(() -> check(READ.formatted(0).replace("dma_dst_mem 0", "dma_dst_mem 9") + "sync 0\n"))
        .hasMessage("at offset 72: op_dma_read 0: destination memory 9 does not exist (2 memories)");
    assertThatThrownBy(() -> check("sync 3")).hasMessage("at offset 8: sync 3 waits for a DMA that was not started");
    assertThatThrownBy(() -> check(READ.formatted(0))).hasMessage("at offset 72: the stream ends with DMA 0 never synced");
    assertThatThrownBy(() -> check("op_dma_write 1 role 3")).hasMessageContaining("at offset 8: op_dma_write of an empty cube");
  }
}
