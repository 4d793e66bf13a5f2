package io.kiln.cli;

import static io.kiln.cli.CliRunner.kiln;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln dla}: the streams of a model's DLA calls disassemble one instruction a line and
 * assemble back to the same bytes; malformed streams give one line with offset and problem, exit 2.
 */
class DlaCommandTest {
  @Test
  void generatedStreamsDisassembleAndAssembleBack(@TempDir Path tmp) throws Exception {
    CliRunner.Result r = kiln("dla", "streams", "builtin:ds_cnn", "--target", "dla:dw=native", "-o",
        tmp.resolve("s").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("wrote ");
    List<Path> files;
    try (var s = Files.list(tmp.resolve("s"))) {
      files = s.sorted().toList();
    }
    assertThat(files).isNotEmpty();
    Path dw = files.stream().filter(p -> p.toString().contains("depthwise")).findFirst().orElseThrow();
    CliRunner.Result d = kiln("dla", "disasm", dw.toString(), "--target", "dla:dw=native");
    assertThat(d.code()).as(d.err()).isZero();
    assertThat(d.out()).contains("op_dma_read").contains("sync").contains("set_reg k ").contains("op_depth_conv");
    assertThat(d.out().lines()).allMatch(l -> l.matches("[0-9a-f]{8}  [a-z_0-9]+.*"));
    Path text = tmp.resolve("dw.s");
    Files.writeString(text, d.out());
    Path back = tmp.resolve("back.kdla");
    assertThat(kiln("dla", "asm", text.toString(), "-o", back.toString()).code()).isZero();
    assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(dw));
  }

  @Test
  void subgraphsAssembleForAnotherVariantWithoutTheModel(@TempDir Path tmp) throws Exception {
    CliRunner.Result r = kiln("dla", "streams", "builtin:ds_cnn", "--target", "dla", "-o", tmp.toString());
    assertThat(r.code()).as(r.err()).isZero();
    Path json = tmp.resolve("subgraphs.json");
    assertThat(json).exists();
    Path out = tmp.resolve("native");
    CliRunner.Result a = kiln("dla", "assemble", json.toString(), "--target", "dla:pe=128,dw=native", "-o",
        out.toString());
    assertThat(a.code()).as(a.err()).isZero();
    assertThat(a.out()).contains("command streams for dla:pe=128,dw=native");
    try (var files = java.nio.file.Files.list(out)) {
      assertThat(files.filter(f -> f.toString().endsWith(".kdla")).count()).isPositive();
    }
    // Without depthwise support those subgraphs say they run on the host, and why.
    CliRunner.Result none = kiln("dla", "assemble", json.toString(), "--target", "dla:dw=unsupported", "-o",
        tmp.resolve("none").toString());
    assertThat(none.code()).as(none.err()).isZero();
    assertThat(none.out()).contains("(DEPTH, DepthwiseConv2D").contains("runs on the host");
    // A truncated file: one line naming the offset.
    Path bad = tmp.resolve("bad.json");
    String text = java.nio.file.Files.readString(json);
    java.nio.file.Files.writeString(bad, text.substring(0, text.length() / 2));
    CliRunner.Result b = kiln("dla", "assemble", bad.toString(), "--target", "dla", "-o", tmp.resolve("b").toString());
    assertThat(b.code()).isEqualTo(2);
    assertThat(b.err().strip()).doesNotContain("\n").contains("offset").contains("not JSON");
  }

  @Test
  void malformedStreamsGiveOneLineAndExitTwo(@TempDir Path tmp) throws Exception {
    CliRunner.Result r = kiln("dla", "streams", "builtin:ds_cnn", "--target", "dla", "-o", tmp.toString());
    assertThat(r.code()).isZero();
    Path any;
    try (var s = Files.list(tmp)) {
      any = s.filter(p -> p.toString().endsWith(".kdla")).sorted().findFirst().orElseThrow();
    }
    byte[] good = Files.readAllBytes(any);
    Path bad = tmp.resolve("bad.kdla");
    Files.write(bad, Arrays.copyOf(good, good.length - 2));
    assertOneLine(kiln("dla", "disasm", bad.toString()), "truncated");
    byte[] unknown = good.clone();
    unknown[Encoding_HEADER + 3] = (byte) 0x7e;
    Files.write(bad, unknown);
    assertOneLine(kiln("dla", "disasm", bad.toString()), "kiln: at offset 8: unknown opcode 0x7e");
    byte[] reg = good.clone();
    reg[Encoding_HEADER] = (byte) 250;
    reg[Encoding_HEADER + 3] = 0x01;
    Files.write(bad, reg);
    assertOneLine(kiln("dla", "disasm", bad.toString()), "kiln: at offset 8: register 250 out of range");
    // The default SRAM holds the buffers; a 512 KiB stream checked against a smaller memory table fails.
    Path big = tmp.resolve("big.s");
    Files.writeString(big, "set_reg dma_src_mem 1\nset_reg dma_dst_mem 0\nset_reg dma_dst 524200\n"
        + "set_reg dma_run 100\nset_reg dma_rows 1\nset_reg dma_planes 1\nop_dma_read 0 role 0\nsync 0\n");
    Path bigBin = tmp.resolve("big.kdla");
    assertThat(kiln("dla", "asm", big.toString(), "-o", bigBin.toString()).code()).isZero();
    assertOneLine(kiln("dla", "disasm", bigBin.toString(), "--target", "dla:sram=512KiB"),
        "kiln: at offset 56: op_dma_read 0: destination bytes 524200..524300 outside sram (524288 B)");
    assertThat(kiln("dla", "disasm", bigBin.toString(), "--target", "dla:sram=1MiB").code()).isZero();
    Files.writeString(big, "op_conv first\nop_nope\n");
    assertOneLine(kiln("dla", "asm", big.toString(), "-o", bigBin.toString()), "kiln: line 2: unknown opcode 'op_nope'");
    assertOneLine(kiln("dla", "disasm", tmp.resolve("missing.kdla").toString()), "kiln: cannot read");
  }

  static final int Encoding_HEADER = io.kiln.isa.dla.Encoding.HEADER;

  static void assertOneLine(CliRunner.Result r, String start) {
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).contains(start);
    assertThat(r.out()).isEmpty();
  }
}
