#!/usr/bin/env bash
# Keyword-spotting benchmark (not a test): the cost of TFLM's audio front-end
# (audio_preprocessor_int8) per 20 ms frame against the micro_speech network per inference, as
# Kiln compiles them: x86-64 instructions (valgrind callgrind), Cortex-M3 instructions (the
# mps2-an385 build under qemu-system-arm -icount, counted with SysTick and checked against a
# calibration loop), and the RAM and flash each needs. Writes the marked kws section of
# BENCHMARKS.md, leaving the rest of the file as it is.
#
#   bench/kws.sh
#
# Needs gcc, size, valgrind, arm-none-eabi-gcc and qemu-system-arm; the models are read from
# $KILN_SHARED/models/tflm/micro_speech (default /work/shared).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
source "$ROOT/.mvn/jdk.sh"
JAVA="$KILN_JDK/bin/java"
SHARED="${KILN_SHARED:-/work/shared}"
MS="$SHARED/models/tflm/micro_speech"
N1=2; N2=12           # callgrind: instructions per inference = (I(N2) - I(N1)) / (N2 - N1)
SHIFT=6               # qemu -icount shift: 2^6 ns of virtual time per instruction
M3_FLAGS="-mcpu=cortex-m3 -mthumb -std=c99 -O2 -Wall -Wextra -Werror -ffunction-sections -fdata-sections"
HOST_FLAGS="-std=c99 -O2"

for tool in gcc size valgrind arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm; do
  command -v "$tool" >/dev/null || { echo "bench/kws.sh: $tool not found" >&2; exit 2; }
done
bench_jar
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

section() {  # SysV `size -A` total of one section (and its .sec.* parts) over the objects
  local sz="$1" sec="$2"; shift 2
  "$sz" -A "$@" | awk -v s="$sec" '$1 == s || index($1, s ".") == 1 {t += $2} END {print t + 0}'
}
define() { sed -n "s/^#define $2 \([0-9]*\).*/\1/p" "$1/kiln_model.h"; }

host_instructions() {  # dir -> x86-64 instructions per inference
  local d="$1" a b
  (cd "$d" && gcc $HOST_FLAGS -I. -o bench kiln_model.c kiln_weights.c "$ROOT/bench/bench_main.c" -lm)
  a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$d/bench" count $N1 2>&1 \
    | sed -n 's/.*Collected : //p')
  b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$d/bench" count $N2 2>&1 \
    | sed -n 's/.*Collected : //p')
  echo $(( (b - a) / (N2 - N1) ))
}

m3_run() {  # dir -> "instructions min max calibration_ticks" per inference on the Cortex-M3
  local d="$1" out
  cp "$ROOT/bench/kws_m3_main.c" "$d/"
  # shellcheck disable=SC2086
  (cd "$d" && arm-none-eabi-gcc $M3_FLAGS -c kiln_model.c kiln_weights.c \
    && arm-none-eabi-gcc $M3_FLAGS -nostartfiles -T mps2_an385.ld -Wl,--gc-sections -o bench.elf \
      kiln_model.o kiln_weights.o kws_m3_main.c startup_mps2_an385.c -lm)
  out=$(timeout 300 qemu-system-arm -M mps2-an385 -nographic -icount shift=$SHIFT \
    -semihosting-config enable=on,target=native -kernel "$d/bench.elf" 2>&1)
  local cal t lo hi
  cal=$(echo "$out" | sed -n 's/^calibration_ticks \([0-9]*\) .*/\1/p')
  t=$(echo "$out" | sed -n 's/^ticks \([0-9]*\) min \([0-9]*\) max \([0-9]*\)/\1/p')
  lo=$(echo "$out" | sed -n 's/^ticks \([0-9]*\) min \([0-9]*\) max \([0-9]*\)/\2/p')
  hi=$(echo "$out" | sed -n 's/^ticks \([0-9]*\) min \([0-9]*\) max \([0-9]*\)/\3/p')
  # The calibration loop is exactly 100000 instructions.
  echo "$(( t * 100000 / cal )) $(( lo * 100000 / cal )) $(( hi * 100000 / cal )) $cal"
}

declare -A NAME=([fe]=audio_preprocessor_int8 [nn]=micro_speech_quantized)
declare -A HOST M3 M3LO M3HI CAL ARENA STATE WEIGHTS BSS DATA TEXT RODATA
for k in fe nn; do
  model="$MS/${NAME[$k]}.tflite"
  echo "== $k ($model)" >&2
  "$JAVA" -jar "$JAR" compile "$model" -o "$WORK/$k" --no-object-sizes >/dev/null
  "$JAVA" -jar "$JAR" compile "$model" -o "$WORK/${k}_m3" --board mps2-an385 --no-object-sizes >/dev/null
  HOST[$k]=$(host_instructions "$WORK/$k")
  read -r M3[$k] M3LO[$k] M3HI[$k] CAL[$k] <<< "$(m3_run "$WORK/${k}_m3")"
  ARENA[$k]=$(define "$WORK/$k" KILN_ARENA_BYTES)
  STATE[$k]=$(define "$WORK/$k" KILN_STATE_BYTES)
  WEIGHTS[$k]=$(define "$WORK/$k" KILN_WEIGHT_BYTES)
  objs=("$WORK/${k}_m3/kiln_model.o" "$WORK/${k}_m3/kiln_weights.o")
  BSS[$k]=$(section arm-none-eabi-size .bss "${objs[@]}")
  DATA[$k]=$(section arm-none-eabi-size .data "${objs[@]}")
  TEXT[$k]=$(section arm-none-eabi-size .text "${objs[@]}")
  RODATA[$k]=$(section arm-none-eabi-size .rodata "${objs[@]}")
done

# Streaming at a 20 ms hop: 50 frames of the front-end and 50 network inferences a second.
per_s() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f M", 50 * (a + b) / 1e6}'; }
share() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f %%", 100 * a / (a + b)}'; }
fmt() { awk -v n="$1" 'BEGIN {printf "%\047d", n}'; }

DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes')"
CPU_MODEL="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
SECTION="$WORK/section.md"
cat > "$SECTION" <<EOM
<!-- kws.sh begin -->
## Keyword spotting: the audio front-end against the network (issue 15)

Produced by \`bench/kws.sh\` on $DATE (commit $COMMIT), $CPU_MODEL, $(gcc --version | head -1),
$(arm-none-eabi-gcc --version | head -1), $(qemu-system-arm --version | head -1).
The front-end is TFLM's \`audio_preprocessor_int8.tflite\` (one 30 ms window of 480 samples to 40
int8 features: Hann window, 512-point fixed-point FFT, energy, 40-channel mel filter bank, square
root, spectral-subtraction noise estimate, PCAN, log), the network \`micro_speech_quantized.tflite\`
(49 x 40 features to 4 scores); both compiled by \`kiln compile\` (default passes). A frame is one
front-end run (every 20 ms of audio); an inference is one network run, which the streaming
library (\`kiln compile MODEL --frontend FRONTEND\`) does after every new frame.

| | front-end, per frame | network, per inference | front-end share |
|---|---:|---:|---:|
| x86-64 instructions (callgrind, gcc $HOST_FLAGS) | $(fmt "${HOST[fe]}") | $(fmt "${HOST[nn]}") | $(share "${HOST[fe]}" "${HOST[nn]}") |
| Cortex-M3 instructions (qemu, median of 15) | $(fmt "${M3[fe]}") (range $(fmt "${M3LO[fe]}")–$(fmt "${M3HI[fe]}")) | $(fmt "${M3[nn]}") (range $(fmt "${M3LO[nn]}")–$(fmt "${M3HI[nn]}")) | $(share "${M3[fe]}" "${M3[nn]}") |
| Cortex-M3 instructions per second of audio (50 frames + 50 inferences) | | | $(per_s "${M3[fe]}" "${M3[nn]}") in all |
| activation arena (\`KILN_ARENA_BYTES\`) | $(fmt "${ARENA[fe]}") B | $(fmt "${ARENA[nn]}") B | |
| state kept across runs (\`KILN_STATE_BYTES\`: the noise estimate) | $(fmt "${STATE[fe]}") B | $(fmt "${STATE[nn]}") B | |
| RAM: .bss + .data of the Cortex-M3 objects | $(fmt $(( BSS[fe] + DATA[fe] ))) B | $(fmt $(( BSS[nn] + DATA[nn] ))) B | |
| flash: .text + .rodata of the Cortex-M3 objects | $(fmt $(( TEXT[fe] + RODATA[fe] ))) B | $(fmt $(( TEXT[nn] + RODATA[nn] ))) B | |
| constant tensors (\`KILN_WEIGHT_BYTES\`) | $(fmt "${WEIGHTS[fe]}") B | $(fmt "${WEIGHTS[nn]}") B | |

How the numbers are made:
- x86-64: \`bench/bench_main.c count N\` runs N inferences on fixed pseudo-random inputs (for the
  front-end, full-scale noise, which keeps the data-dependent square roots and logs busy); the
  count is (I($N2) - I($N1)) / $(( N2 - N1 )) from \`valgrind --tool=callgrind\`, so start-up cancels.
- Cortex-M3: \`bench/kws_m3_main.c\` on the mps2-an385 board under
  \`qemu-system-arm -M mps2-an385 -icount shift=$SHIFT\`: each instruction advances virtual time by
  $(( 1 << SHIFT )) ns and SysTick counts it at 25 MHz. The driver runs 15 inferences in a row (the
  front-end's noise estimate evolves, hence the range), subtracts an empty measurement, and also
  times a loop of exactly 100,000 instructions: it measured ${CAL[fe]} and ${CAL[nn]} ticks, so the
  conversion is 1.6 ticks an instruction as expected. These are instructions, not cycles: QEMU
  does not model the M3's pipeline or flash wait states.
- RAM: the front-end's .bss is its arena, its state, and the FFT's static work buffers (the padded
  512-sample frame and 256 complex values); flash is code plus the window, filter-bank and PCAN
  tables and the FFT twiddles (computed at compile time, so the C has no floating point).
<!-- kws.sh end -->
EOM

BENCH="$ROOT/BENCHMARKS.md"
touch "$BENCH"
write_section kws "$SECTION" "$BENCH"
