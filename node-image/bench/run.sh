#!/usr/bin/env bash
# Builds what the benchmark needs and runs it: 3-member etcd 3.4, then 3-member Kvorum, on
# 127.0.0.1, same workloads, report under node-image/bench/results/<timestamp>/.
#
#   node-image/bench/run.sh [--quick] [--only etcd|kvorum] [--compare JAR_A JAR_B] [...]
#
# Every option is passed to io.kvorum.bench.BenchRunner; see README.md or `run.sh --help`.
# Needs: a JDK 21+ (JAVA_HOME or java on PATH), etcd and etcdctl 3.4 (Debian etcd-server,
# etcd-client).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if ! command -v "$java" >/dev/null; then
  echo "run.sh: no java found; set JAVA_HOME to a JDK 21 or newer" >&2
  exit 2
fi
spec="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [ "${spec%%.*}" -lt 21 ] 2>/dev/null; then
  echo "run.sh: $java is Java $spec; set JAVA_HOME to a JDK 21 or newer" >&2
  exit 2
fi
export JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v "$java")")")")}"

# Which Kvorum build is measured decides whether the server must be built.
needs_server=yes
has_jar=no
has_out=no
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --help|-h) needs_server=no ;;
    --only) [ "${args[i+1]:-}" = etcd ] && needs_server=no ;;
    --compare) needs_server=no ;;
    --kvorum-jar) needs_server=no; has_jar=yes ;;
    --out) has_out=yes ;;
  esac
done

# Paths given by the caller stay relative to the caller's directory: only the builds cd.
if [ "$needs_server" = yes ]; then
  echo "run.sh: building the Kvorum server (node-image/server/target/kvorum.jar)"
  (cd "$repo" && ./mvnw -B -q -pl node-image/server -am package -DskipTests)
fi
echo "run.sh: building the benchmark (node-image/bench/target/kvorum-bench.jar)"
(cd "$repo" && ./mvnw -B -q -pl node-image/bench package -DskipTests)

extra=()
if [ "$has_jar" = no ]; then
  extra+=(--kvorum-jar "$repo/node-image/server/target/kvorum.jar")
fi
if [ "$has_out" = no ]; then
  extra+=(--out "$here/results/$(date -u +%Y%m%d-%H%M%S)")
fi
exec "$java" --enable-native-access=ALL-UNNAMED -Xms256m -Xmx2g \
  -jar "$here/target/kvorum-bench.jar" "${extra[@]}" "$@"
