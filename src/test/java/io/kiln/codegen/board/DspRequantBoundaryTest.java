package io.kiln.codegen.board;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.codegen.Board;
import io.kiln.codegen.CodegenOptions;
import io.kiln.codegen.cpu.CpuCodegen;
import io.kiln.models.ModelSource;
import io.kiln.target.CpuCore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The DSP and Helium requantizations against the portable {@code kiln_requant} at their edges,
 * on QEMU: rounding ties of the right shift (h = k 2^r + 2^(r-1) + {-1, 0, 1} for every right
 * shift 1..30, reached exactly through the multiplier 2^30), the largest accumulators the code
 * generator's bound admits, zero points at both ends of int8, and seeded random
 * accumulator/multiplier/shift triples inside that bound. The program exits with the number of
 * mismatches, so 0 is QEMU's exit status when all agree.
 */
class DspRequantBoundaryTest {
  @TempDir
  Path tmp;

  private static final String PROGRAM = """
      #include <stdint.h>
      #include "kiln_runtime.h"
      #include "kiln_dsp.h"
      #ifdef __ARM_FEATURE_MVE
      #include "kiln_mve.h"
      #endif

      static int bad;

      /* The generator's precondition for the fast form (DspRequant): right >= 1 and
       * |acc| * mult / 2^31 + 1 + 2^(right-1) + 128 * 2^right < 2^31. */
      static int admitted(int32_t acc, int32_t mult, int right) {
        const int64_t a = acc < 0 ? -(int64_t)acc : acc;
        return right >= 1 && ((a * mult) >> 31) + 1 + (INT64_C(1) << (right - 1))
            + 128 * (INT64_C(1) << right) < (INT64_C(1) << 31);
      }

      static void check(int32_t acc, int32_t mult, int right, int32_t zp) {
        if (!admitted(acc, mult, right)) return;
        const int32_t add = (1 << (right - 1)) + zp * (1 << right);
        const int32_t want = kiln_requant(acc, mult, -right, zp, -128, 127);
        if (kiln_dsp_requant(acc, mult, 0, add, right) != want) ++bad;
      #ifdef __ARM_FEATURE_MVE
        const int32_t t[16] = {mult, mult, mult, mult, add, add, add, add,
                               -right, -right, -right, -right, 0, 0, 0, 0};
        int8_t o[8] = {0};
        kiln_mve_requant_store4(vdupq_n_s32(acc), t, o, -128, 127, vidupq_n_u32(0, 2));
        if (o[0] != want || o[2] != want || o[4] != want || o[6] != want) ++bad;
      #endif
      }

      int main(void) {
        static const int32_t zps[] = {-128, -1, 0, 5, 127};
        for (int z = 0; z < 5; ++z) {
          for (int r = 1; r <= 30; ++r) {
            for (int k = -3; k <= 3; ++k) {
              for (int d = -1; d <= 1; ++d) {
                /* acc = 2h with mult = 2^30: SRDHM gives h exactly, so h sits on the tie. */
                const int64_t h = (int64_t)k * (INT64_C(1) << r) + (INT64_C(1) << (r - 1)) + d;
                if (h > -(INT64_C(1) << 29) && h < (INT64_C(1) << 29)) {
                  check((int32_t)(2 * h), 1 << 30, r, zps[z]);
                }
              }
            }
            /* The largest admitted accumulators, both signs. */
            const int32_t mult = 2147483647;
            const int64_t top = (INT64_C(1) << 31) - 2 - (INT64_C(1) << (r - 1))
                - 128 * (INT64_C(1) << r);
            if (top > 0) {
              check((int32_t)top, mult, r, zps[z]);
              check((int32_t)-top, mult, r, zps[z]);
            }
          }
        }
        uint32_t s = 14u;
        for (int i = 0; i < 200000; ++i) {
          s = s * 1664525u + 1013904223u;
          const int32_t mult = (int32_t)((1u << 30) | (s >> 2));
          s = s * 1664525u + 1013904223u;
          const int right = 1 + (int)(s % 24u);
          s = s * 1664525u + 1013904223u;
          const int32_t acc = (int32_t)s >> (int)(s % 24u);
          check(acc, mult, right, (int32_t)(s % 256u) - 128);
        }
        return bad > 100 ? 100 : bad;
      }
      """;

  @ParameterizedTest
  @EnumSource(value = Board.class, names = {"MPS2_AN386", "MPS3_AN547"})
  void fastRequantizationsAgreeWithThePortableOne(Board board) throws IOException {
    BoardToolchain.assumeToolchain();
    // A DSP (Helium on the M55) compile brings the headers, start-up code and linker script.
    CpuCodegen.generate(ModelSource.load("builtin:ds_cnn"), tmp,
        CodegenOptions.defaults().withBoard(board).withCore(board.core()));
    Files.writeString(tmp.resolve("edges.c"), PROGRAM);
    List<String> cmd = new ArrayList<>(List.of(BoardToolchain.gcc(board)));
    cmd.addAll(board.cflags());
    cmd.addAll(List.of("-nostartfiles", "-T", board.linkerScript(), "-o", "edges.elf",
        "edges.c", board.startup()));
    BoardToolchain.Result built = BoardToolchain.exec(tmp, cmd, 120);
    assertThat(built.exit()).as("build:%n%s", built.output()).isZero();
    assertThat(board.core().family()).isNotEqualTo(CpuCore.KernelFamily.PLAIN_C);
    BoardToolchain.Result r = BoardToolchain.exec(tmp, BoardToolchain.qemuCommand(board,
        tmp.resolve("edges.elf"), ""), BoardToolchain.QEMU_TIMEOUT_SECONDS);
    assertThat(r.exit()).as("mismatches (capped at 100) on %s: %s", board.id(), r.output())
        .isZero();
  }
}
