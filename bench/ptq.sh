#!/usr/bin/env bash
# The post-training quantization option matrix of docs/quantization.md (not a test: it takes
# minutes and prints a table): every MLPerf Tiny float model under each option set, Kiln's and
# MLCommons' int8 models against the float model.
#
#   bench/ptq.sh
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
exec "$JAVA" -cp "$CP" \
  io.kiln.quantize.MlperfPtqTable "$SHARED/models"
