package io.kiln.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ELF section-header reader on hand-assembled files (both classes, both byte orders) and on
 * malformed input; {@link ObjectSizerTest} checks it against real compiler output.
 */
class ElfSectionsTest {

  /**
   * A minimal ELF file with only a section header table: section 0 (null), the given sections,
   * and .shstrtab last.
   */
  static byte[] elf(boolean is64, ByteOrder order, Map<String, Long> sections) {
    StringBuilder names = new StringBuilder("\0");
    int[] nameOff = new int[sections.size() + 1];
    int i = 0;
    for (String name : sections.keySet()) {
      nameOff[i++] = names.length();
      names.append(name).append('\0');
    }
    nameOff[i] = names.length();
    names.append(".shstrtab\0");
    byte[] strtab = names.toString().getBytes(StandardCharsets.US_ASCII);
    int ehsize = is64 ? 64 : 52;
    int shentsize = is64 ? 64 : 40;
    int shnum = sections.size() + 2;
    int strOff = ehsize;
    int shoff = strOff + strtab.length + 7 & ~7;
    ByteBuffer b = ByteBuffer.allocate(shoff + shnum * shentsize).order(order);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (is64 ? 2 : 1),
        (byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 2), 1});
    if (is64) {
      b.putLong(0x28, shoff);
      b.putShort(0x3a, (short) shentsize).putShort(0x3c, (short) shnum)
          .putShort(0x3e, (short) (shnum - 1));
    } else {
      b.putInt(0x20, shoff);
      b.putShort(0x2e, (short) shentsize).putShort(0x30, (short) shnum)
          .putShort(0x32, (short) (shnum - 1));
    }
    b.put(strOff, strtab);
    int k = 1;
    for (long size : sections.values()) {
      header(b, is64, shoff + k * shentsize, nameOff[k - 1], 0, size);
      k++;
    }
    header(b, is64, shoff + k * shentsize, nameOff[k - 1], strOff, strtab.length);
    return b.array();
  }

  private static void header(ByteBuffer b, boolean is64, int h, int name, long offset,
      long size) {
    b.putInt(h, name);
    if (is64) {
      b.putLong(h + 0x18, offset).putLong(h + 0x20, size);
    } else {
      b.putInt(h + 0x10, (int) offset).putInt(h + 0x14, (int) size);
    }
  }

  private static Map<String, Long> sample() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put(".text", 1234L);
    m.put(".rodata", 70_000L);
    m.put(".rodata.cst16", 112L);
    m.put(".bss", 16_000L);
    m.put(".rela.text", 96L);
    return m;
  }

  @Test
  void readsAllFourLayouts() throws Exception {
    for (boolean is64 : new boolean[] {true, false}) {
      for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
        Map<String, Long> expected = new LinkedHashMap<>(sample());
        Map<String, Long> got = ElfSections.read(elf(is64, order, sample()));
        expected.put(".shstrtab", got.get(".shstrtab"));
        assertThat(got).as("64-bit %s, %s", is64, order).containsExactlyEntriesOf(expected);
      }
    }
  }

  @Test
  void noSectionTableMeansNoSections() throws Exception {
    byte[] f = elf(true, ByteOrder.LITTLE_ENDIAN, Map.of());
    ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0x28, 0);
    assertThat(ElfSections.read(f)).isEmpty();
  }

  @Test
  void rejectsWhatIsNotElf() {
    byte[] text = "int main(void) { return 0; } /* padding to 52+ bytes ........ */"
        .getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> ElfSections.read(text))
        .isInstanceOf(ElfSections.NotElfException.class).hasMessage("not an ELF file");
    assertThatThrownBy(() -> ElfSections.read(new byte[] {0x7f, 'E', 'L', 'F'}))
        .isInstanceOf(ElfSections.NotElfException.class);
    byte[] badClass = elf(true, ByteOrder.LITTLE_ENDIAN, sample());
    badClass[4] = 3;
    assertThatThrownBy(() -> ElfSections.read(badClass))
        .hasMessageContaining("ELF class 3");
    byte[] badOrder = elf(true, ByteOrder.LITTLE_ENDIAN, sample());
    badOrder[5] = 0;
    assertThatThrownBy(() -> ElfSections.read(badOrder))
        .hasMessageContaining("byte order 0");
  }

  @Test
  void rejectsTruncatedFiles() {
    byte[] whole = elf(false, ByteOrder.BIG_ENDIAN, sample());
    for (int cut : new int[] {60, whole.length / 2, whole.length - 1}) {
      byte[] part = Arrays.copyOf(whole, cut);
      assertThatThrownBy(() -> ElfSections.read(part)).as("cut at %d", cut)
          .isInstanceOf(ElfSections.NotElfException.class).hasMessage("truncated ELF file");
    }
  }
}
