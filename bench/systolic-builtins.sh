#!/usr/bin/env bash
# Functional check of the systolic engine on the 224x224 built-ins (issue 12, not a test):
# `kiln simulate builtin:resnet50|vgg16 --target systolic[:im2col=explicit] --random-input 1`
# at batch 1 under the implicit, explicit and channel-last im2col: every systolic job's sums are
# computed by the engine's data flow for that method, and every step's output is compared byte for
# byte with `kiln run --target` (the interpreter on the lowered graph). Rewrites only its own marked section of BENCHMARKS.md.
#
#   bench/systolic-builtins.sh [MODEL...]     (default: resnet50 vgg16)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
MODELS=("$@")
[[ ${#MODELS[@]} -gt 0 ]] || MODELS=(resnet50 vgg16)

"$ROOT/kiln" --version >/dev/null 2>&1 || true   # builds the jar outside the timed runs
ROWS=""
for m in "${MODELS[@]}"; do
  for t in systolic systolic:im2col=explicit systolic:im2col=channel_last; do
    start=$(date +%s)
    out="$("$ROOT/kiln" simulate "builtin:$m" --target "$t" --random-input 1 2>&1 || true)"
    secs=$(( $(date +%s) - start ))
    total="$(printf '%s\n' "$out" | sed -n 's/^  total: \([0-9]*\) cycles.*/\1/p')"
    verdict="$(printf '%s\n' "$out" | sed -n 's/^  outputs: //p')"
    systolic="$(printf '%s\n' "$out" | sed -n 's/.*systolic \([0-9]*\) (\([0-9.]*%\)).*/\1 (\2)/p' | head -1)"
    ROWS+="| builtin:$m | $t | ${verdict:-FAILED: $(printf '%s' "$out" | tail -1)} | ${total:-} | ${systolic:-} | $secs |"$'\n'
  done
done

CPU_MODEL="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes')"
SECTION="$(mktemp)"
trap 'rm -f "$SECTION"' EXIT
cat > "$SECTION" <<EOM
<!-- systolic-builtins.sh begin -->
## Systolic engine: the 224x224 built-ins checked at batch 1 (issue 12)

\`bash bench/systolic-builtins.sh\` on $DATE, commit $COMMIT; $CPU_MODEL, $(nproc) cores shared
with other work (wall seconds are not a performance figure). Each row is
\`kiln simulate builtin:MODEL --target T --random-input 1\` (batch 1): the systolic jobs' sums are
computed by the engine's data flow for T's im2col method (\`SystolicDataFlow\` on \`FastFold\`:
address generation over the SRAM arrays for implicit and channel-last, the materialized im2col
matrix for explicit), requantized by the lowered graph's output stage, and every step is compared
with the interpreter; wall s is the whole command (planning, the interpreter's reference run, the
host's layers and the data flow).

| model | target | outputs | simulated cycles | systolic unit busy | wall s |
|---|---|---|---:|---:|---:|
$ROWS<!-- systolic-builtins.sh end -->
EOM
write_section systolic-builtins "$SECTION" BENCHMARKS.md
