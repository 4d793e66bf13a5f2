#!/usr/bin/env bash
# N:M sparsity benchmark of Kiln's generated C (not a test):
#  1. single layers (K = 256; 3x3 stride-1 pad-1 conv on 8x8xC, C in 32..256; FC of C inputs,
#     C in 256..2048): instructions per inference of the dense kernel and of the 1:4, 1:8 and
#     1:16 sparse kernels on the host (valgrind --tool=callgrind, (I(3) - I(1)) / 2) and on an
#     emulated Cortex-M4 (kiln compile --board mps2-an386, qemu-system-arm -icount shift=0, SysTick
#     around the second of two inferences, 40 instructions a tick): for cpu:core=cortex-m4 (the
#     conv's SMLAD sparse kernel, the FC's plain one) and for cpu:core=generic (plain C), with the
#     outputs of each sparse build checked against the dense kernel's on the same weights
#     (bench_main's checksum on the host) and the M4's two sparse builds against each other
#     (bench/cortexm/bench_main.c's output hash);
#  2. end to end: ResNet8 (float pretrainedResnet -> kiln prune -> kiln quantize) and the DS-CNN
#     built-in (int8, pruned directly), 3x3 convolutions only and all convolutions, at 1:4, 1:8,
#     1:16: weight bytes, instructions per inference (host and M4, the compiler's own choice of
#     kernels) and top-1 agreement with the dense int8 model on 200 seeded inputs.
#
#   bench/sparse.sh [--write]     (default: print the tables)
#
# --write replaces the marked sparse.sh section of BENCHMARKS.md (appending it when absent).
# Needs gcc, valgrind, arm-none-eabi-gcc (newlib) and qemu-system-arm; the models are read from
# $KILN_SHARED/models/mlperf-tiny (default /work/shared).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
SHARED="${KILN_SHARED:-/work/shared}"
MODELS_DIR="$SHARED/models/mlperf-tiny"
WRITE=0
case "${1:-}" in
  --write) WRITE=1 ;;
  "") ;;
  *) echo "usage: bench/sparse.sh [--write]" >&2; exit 2 ;;
esac
for tool in gcc valgrind arm-none-eabi-gcc qemu-system-arm python3; do
  command -v "$tool" >/dev/null || { echo "bench/sparse.sh: $tool not found" >&2; exit 2; }
done
source "$ROOT/.mvn/jdk.sh"
JAR="$ROOT/target/kiln.jar"
if [[ ! -f "$JAR" || -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]]; then
  "$ROOT/mvnw" -q -B -DskipTests package >&2
fi
"$ROOT/mvnw" -q -B test-compile >&2
DEPS="$("$ROOT/mvnw" -q -B dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
KILN=("$KILN_JDK/bin/java" -jar "$JAR")
BENCH=("$KILN_JDK/bin/java" -cp "$ROOT/target/classes:$ROOT/target/test-classes:$DEPS"
  io.kiln.bench.SparseBench)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BOARD=mps2-an386
CLOCK=25000000

host_instr() { # exe -> instructions per inference
  local a b
  a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" count 1 2>&1 \
    | sed -n 's/.*Collected : //p')
  b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" count 3 2>&1 \
    | sed -n 's/.*Collected : //p')
  echo $(( (b - a) / 2 ))
}

host() { # model dir sparse-mode -> builds dir/bench (gcc -O3) from a host compile
  "${KILN[@]}" compile "$1" --sparse "$3" -o "$2" --json "$2/report.json" >/dev/null
  (cd "$2" && gcc -std=c99 -O3 -I. -o bench kiln_model.c kiln_weights.c \
    "$ROOT/bench/bench_main.c" -lm)
}

m4() { # model dir sparse-mode core -> instructions per inference on the M4 under QEMU
  "${KILN[@]}" compile "$1" --target "cpu:core=$4" --board "$BOARD" --sparse "$3" -o "$2" \
    --json "$2/report.json" >/dev/null
  local flags stem=${BOARD//-/_} ticks
  flags=$(sed -n 's/^ARCH_FLAGS = //p' "$2/Makefile.$BOARD")
  # shellcheck disable=SC2086
  arm-none-eabi-gcc $flags -std=c99 -O2 -Wall -Wextra -Werror -ffunction-sections \
    -fdata-sections -I"$2" -o "$2/bench.elf" "$2/kiln_model.c" "$2/kiln_weights.c" \
    "$ROOT/bench/cortexm/bench_main.c" "$2/startup_$stem.c" -nostartfiles -T "$2/$stem.ld" \
    -Wl,--gc-sections -lm
  timeout 600 qemu-system-arm -M "$BOARD" -nographic -semihosting-config \
    enable=on,target=native -icount shift=0 -kernel "$2/bench.elf" > "$2/qemu.txt" 2>&1
  ticks=$(sed -n 's/^ticks //p' "$2/qemu.txt")
  sed -n 's/^output //p' "$2/qemu.txt" > "$2/sum"
  echo $(( (ticks * 1000000000 + CLOCK / 2) / CLOCK ))
}

json() { # report.json python-expression-on-t
  python3 -c "import json; t=json.load(open('$1')); print($2)"
}

kernels() { # report.json -> the sparse layers' kernels, counted: "7x sparse-1:4, 2x plain-c"
  python3 - "$1" <<'PY'
import json, sys, collections
r = json.load(open(sys.argv[1]))
c = collections.Counter(l["kernel"] for l in r["layers"] if l["op"] in ("Conv2D", "FullyConnected"))
print(", ".join(f"{n}x {k}" for k, n in sorted(c.items())))
PY
}

ratio() { python3 -c "print(f'{$1 / $2:.2f}x')"; }
fmt() { printf "%'d" "$1"; }

"${BENCH[@]}" layers "$WORK/layers"
L_ROWS=()
for layer in conv_C32 conv_C64 conv_C128 conv_C256 fc_C256 fc_C512 fc_C1024 fc_C2048; do
  d="$WORK/l/$layer"
  host "$WORK/layers/${layer}_dense.tflite" "$d-dense" never
  hd=$(host_instr "$d-dense/bench")
  macs=$(json "$d-dense/report.json" "t['totals']['macs']")
  md=$(m4 "$WORK/layers/${layer}_dense.tflite" "$d-m4dense" never cortex-m4)
  mp=$(m4 "$WORK/layers/${layer}_dense.tflite" "$d-m4plain" never generic)
  row="| $layer | $(fmt "$macs") | $(fmt "$hd")"
  m4row="| $(fmt "$md") | $(fmt "$mp")"
  m4plain=""
  same=yes
  for f in 1x4 1x8 1x16; do
    model="$WORK/layers/${layer}_$f.tflite"
    host "$model" "$d-$f" always
    host "$model" "$d-$f-dense" never
    [[ "$("$d-$f/bench" count 1)" == "$("$d-$f-dense/bench" count 1)" ]] || same=NO
    hs=$(host_instr "$d-$f/bench")
    ms=$(m4 "$model" "$d-m4$f" always cortex-m4)
    mq=$(m4 "$model" "$d-m4p$f" always generic)
    [[ -s "$d-m4$f/sum" && "$(cat "$d-m4$f/sum")" == "$(cat "$d-m4p$f/sum")" ]] || same=NO
    row+=" | $(fmt "$hs") ($(ratio "$hd" "$hs"))"
    m4row+=" | $(fmt "$ms") ($(ratio "$md" "$ms"))"
    m4plain+=" | $(fmt "$mq") ($(ratio "$md" "$mq"))"
    echo "$layer $f host dense=$hd sparse=$hs m4 dsp=$md plain=$mp sparse=$ms plain-sparse=$mq" >&2
  done
  L_ROWS+=("$row $m4row$m4plain | $same |")
done

# ---- end to end -----------------------------------------------------------------------------
"${BENCH[@]}" calib "$WORK/cal.bin" 32 0 255
FLOAT="$MODELS_DIR/pretrainedResnet.tflite"
E_ROWS=()
e2e() { # name int8-model dense-int8-model
  local d="$WORK/e/$1" hi mi wb wm agree
  mkdir -p "$d"
  host "$2" "$d/host" auto
  hi=$(host_instr "$d/host/bench")
  wb=$(json "$d/host/report.json" "t['totals']['weight_bytes']")
  mi=$(m4 "$2" "$d/m4" auto cortex-m4)
  wm=$(json "$d/m4/report.json" "t['totals']['weight_bytes']")
  agree=$("${BENCH[@]}" agree "$3" "$2" 200 7 | awk '{printf "%d/%d", $2, $3}')
  E_ROWS+=("| $1 | $(fmt "$wb") | $(fmt "$hi") | $(kernels "$d/host/report.json") | $(fmt "$wm") | $(fmt "$mi") | $(kernels "$d/m4/report.json") | $agree |")
  echo "$1 weights=$wb host=$hi m4=$mi agree=$agree" >&2
}
"${KILN[@]}" quantize "$FLOAT" --calibration "$WORK/cal.bin" --per-channel \
  -o "$WORK/resnet_dense.tflite" >/dev/null
e2e "ResNet8 dense int8" "$WORK/resnet_dense.tflite" "$WORK/resnet_dense.tflite"
for layers in conv3x3 conv; do
  for nm in 1:4 1:8 1:16; do
    tag="${nm/:/x}_$layers"
    "${KILN[@]}" prune "$FLOAT" --nm "$nm" --layers "$layers" --calibration "$WORK/cal.bin" \
      -o "$WORK/resnet_$tag.f.tflite" > "$WORK/prune_resnet_$tag.txt"
    "${KILN[@]}" quantize "$WORK/resnet_$tag.f.tflite" --calibration "$WORK/cal.bin" \
      --per-channel -o "$WORK/resnet_$tag.tflite" >/dev/null
    e2e "ResNet8 $nm $layers" "$WORK/resnet_$tag.tflite" "$WORK/resnet_dense.tflite"
  done
done
e2e "DS-CNN dense int8" "builtin:ds_cnn" "builtin:ds_cnn"
for layers in conv3x3 conv; do
  for nm in 1:4 1:8 1:16; do
    tag="${nm/:/x}_$layers"
    "${KILN[@]}" prune builtin:ds_cnn --nm "$nm" --layers "$layers" --samples 8 \
      -o "$WORK/dscnn_$tag.tflite" > "$WORK/prune_dscnn_$tag.txt"
    e2e "DS-CNN $nm $layers" "$WORK/dscnn_$tag.tflite" "builtin:ds_cnn"
  done
done

{
  echo "Single layers, instructions per inference (speedup against the dense kernel of the same"
  echo "build: host plain C, M4 DSP-extension kernels; the M4 plain-C dense kernel for scale). \"M4"
  echo "1:x\" is the cortex-m4 build (conv: the SMLAD sparse kernel; FC: the plain sparse one), \"M4"
  echo "plain 1:x\" the plain-C sparse kernels on the same M4 (cpu:core=generic), against the same"
  echo "DSP dense kernel:"
  echo
  echo "| layer | MACs | host dense | host 1:4 | host 1:8 | host 1:16 | M4 dense (DSP) | M4 dense (plain C) | M4 1:4 | M4 1:8 | M4 1:16 | M4 plain 1:4 | M4 plain 1:8 | M4 plain 1:16 | sparse outputs = dense |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${L_ROWS[@]}"
  echo
  echo "End to end, the compiler choosing each layer's kernel by its cost estimate (\`--sparse auto\`):"
  echo
  echo "| model | host weight bytes | host instructions | host kernels (conv/FC) | M4 weight bytes | M4 instructions | M4 kernels (conv/FC) | top-1 = dense int8 (200 seeded inputs) |"
  echo "|---|---:|---:|---|---:|---:|---|---:|"
  printf '%s\n' "${E_ROWS[@]}"
  echo
  echo "The per-layer prune report of ResNet8 at 1:4 on the 3x3 convolutions (float, against the"
  echo "unpruned float model on the 32 calibration inputs):"
  echo
  echo '```'
  cat "$WORK/prune_resnet_1x4_conv3x3.txt"
  echo '```'
} > "$WORK/tables.md"
if (( WRITE )); then
  SECTION="$WORK/section.md"
  {
    echo "<!-- sparse.sh begin -->"
    echo "## N:M sparsity: sparse kernels and pruned models (issue 13)"
    echo
    echo "Written by \`bench/sparse.sh --write\` (run from the repository root); do not edit by hand."
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+changes')."
    echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores available;"
    echo "$(gcc --version | head -1) (host, -std=c99 -O3); $(valgrind --version);"
    echo "$(arm-none-eabi-gcc --version | head -1) (-O2); $(qemu-system-arm --version | head -1), $BOARD."
    echo
    cat "$WORK/tables.md"
    if [[ -f "$ROOT/bench/sparse-notes.md" ]]; then
      echo
      cat "$ROOT/bench/sparse-notes.md"
    fi
    echo "<!-- sparse.sh end -->"
  } > "$SECTION"
  BENCH_MD="$ROOT/BENCHMARKS.md"
  touch "$BENCH_MD"
  write_section sparse "$SECTION" "$BENCH_MD"
else
  cat "$WORK/tables.md"
fi
