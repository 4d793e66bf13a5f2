#!/usr/bin/env bash
# Deployment benchmarks of issue 9 (not a test): warm in-process compile time (Planner + C
# generation through the DeploymentPlan) of the four MLPerf Tiny models for every target, and the
# generated program's code and data: object sections (gcc -std=c99 -O2 -c of kiln_model.c,
# kiln_weights.c and kiln_memories.c) and the bytes used of each memory. Rewrites only its own
# marked section of BENCHMARKS.md.
#
#   bench/deploy.sh
#
# The MLPerf Tiny models are read from $KILN_SHARED/models/mlperf-tiny (default /work/shared).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/section.sh"
cd "$ROOT"
source "$ROOT/.mvn/jdk.sh"
JAVA="$KILN_JDK/bin/java"
SHARED="${KILN_SHARED:-/work/shared}"

bench_classpath
OUT="$("$JAVA" --enable-native-access=ALL-UNNAMED -Dkiln.shared="$SHARED" -cp "$CP" io.kiln.bench.DeployBench)"
ROWS="$(printf '%s\n' "$OUT" | sed -n '/^ROWS_BEGIN$/,/^ROWS_END$/p' | sed '1d;$d')"

bench_machine
GCC_VERSION="$(gcc --version | head -1)"

SECTION="$(mktemp)"
trap 'rm -f "$SECTION"' EXIT
cat > "$SECTION" <<EOM
<!-- deploy.sh begin -->
## Deployment: compile time and program size (issue 9)

\`bash bench/deploy.sh\` on $DATE, commit $COMMIT; $CPU_MODEL, $CPUS cores; $JAVA_VERSION; $GCC_VERSION.
Compile time is warm and in-process: \`Planner.plan\` plus \`DeploymentCodegen.emit\` (everything
\`kiln compile\` does before writing files), median of $(( 5 )) runs after 2 warm-ups. Sections are
\`gcc -std=c99 -O2 -c\` of the library proper (\`kiln_model.c\`, \`kiln_weights.c\`, \`kiln_memories.c\`;
the host HAL and driver are not part of what ships); \`.bss\` holds the memories as sized arrays
(\`kiln_memories.c\`), \`.rodata\` the weight blobs and the CPU's constants, the descriptor/job/program
tables. Memories: bytes the program uses of each (arena and blobs in L2/DRAM; the largest call's
buffers in L1/SRAM and weight memories). Every program here is checked byte for byte against the
interpreter on the lowered graph by \`DeploymentCodegenTest\`.

| model | target | accelerator calls | compile ms | .text B | .rodata B | .data B | .bss B | arena B | blob B | memories used (B) |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
$ROWS
<!-- deploy.sh end -->
EOM

write_section deploy "$SECTION" BENCHMARKS.md
