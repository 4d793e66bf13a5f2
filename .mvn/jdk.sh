# Sourced by ./mvnw and ./kiln: sets KILN_JDK to the newest JDK >= 21 it can find, or
# prints a clear message and exits 2.
KILN_MIN_JAVA=21

kiln_java_major() {  # feature version of the java binary $1, or 0
  local v
  v="$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1)"
  echo "${v:-0}" | cut -d. -f1
}

kiln_find_jdk() {
  local candidates=() d c v best="" best_v=0
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  for d in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do [[ -d "$d" ]] && candidates+=("$d"); done
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for c in "${candidates[@]}"; do
    [[ -x "$c/bin/javac" && -x "$c/bin/java" ]] || continue
    v="$(kiln_java_major "$c/bin/java")"
    if (( v >= KILN_MIN_JAVA && v > best_v )); then best="$c"; best_v=$v; fi
  done
  [[ -n "$best" ]] && echo "$best"
}

KILN_JDK="$(kiln_find_jdk || true)"
if [[ -z "$KILN_JDK" ]]; then
  echo "kiln: no JDK $KILN_MIN_JAVA or newer found (looked at JAVA_HOME, /usr/lib/jvm/*, /opt/java/*, javac on PATH); install one (e.g. Temurin 21+) and set JAVA_HOME" >&2
  exit 2
fi
