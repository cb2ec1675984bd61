#!/usr/bin/env bash
# Runs a 3-member kvorum cluster on this machine (127.0.0.1), the layout of the seeds:
#
#   node-image/server/local-cluster.sh start    build the jar if needed, start s1..s3, wait for health
#   node-image/server/local-cluster.sh status   endpoint status of every member
#   node-image/server/local-cluster.sh stop     SIGTERM every member (a leader hands over first)
#
# Data and logs live under ${KVORUM_LOCAL_DIR:-/tmp/kvorum-local}; start reuses the data dirs,
# so a stop/start keeps the data (rm -rf that folder for a fresh cluster).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=${KVORUM_LOCAL_DIR:-/tmp/kvorum-local}
jar="$repo/node-image/server/target/kvorum.jar"
client_ports=(2379 12379 22379)
peer_ports=(2380 12380 22380)
endpoints="127.0.0.1:2379,127.0.0.1:12379,127.0.0.1:22379"
cluster="s1=http://127.0.0.1:2380,s2=http://127.0.0.1:12380,s3=http://127.0.0.1:22380"

say() { printf '[kvorum] %s\n' "$*"; }

start() {
  if [ ! -f "$jar" ]; then
    say "building $jar (first run only)"
    (cd "$repo" && . .ci/select-jdk.sh && ./mvnw -B -q -pl node-image/server -am package -DskipTests)
  fi
  . "$repo/.ci/select-jdk.sh"
  mkdir -p "$dir"
  for i in 0 1 2; do
    name="s$((i + 1))"
    if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
      say "$name already running (pid $(cat "$dir/$name.pid"))"
      continue
    fi
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$jar" \
      --name "$name" --data-dir "$dir/$name" \
      --listen-client-urls "http://127.0.0.1:${client_ports[$i]}" \
      --advertise-client-urls "http://127.0.0.1:${client_ports[$i]}" \
      --listen-peer-urls "http://127.0.0.1:${peer_ports[$i]}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${peer_ports[$i]}" \
      --initial-cluster "$cluster" --initial-cluster-token kvorum-local \
      --initial-cluster-state new >"$dir/$name.log" 2>&1 &
    echo $! >"$dir/$name.pid"
    say "started $name (pid $!, log $dir/$name.log)"
  done
  say "waiting for the cluster to be healthy (up to 120 s)"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:2379/health" 2>/dev/null | grep -q '"health":"true"'; then
      say "healthy: $(curl -fsS http://127.0.0.1:2379/version)"
      cat <<MSG

  export ETCDCTL_API=3
  etcdctl --endpoints=$endpoints put foo bar
  etcdctl --endpoints=$endpoints get foo
  etcdctl --endpoints=$endpoints endpoint status -w table
  curl -s http://127.0.0.1:2379/metrics | grep etcd_server_is_leader

MSG
      return 0
    fi
    sleep 1
  done
  say "not healthy after 120 s; see the logs in $dir" >&2
  return 1
}

status() {
  ETCDCTL_API=3 etcdctl --endpoints="$endpoints" endpoint status -w table
}

stop() {
  for name in s1 s2 s3; do
    [ -f "$dir/$name.pid" ] || continue
    pid=$(cat "$dir/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      say "stopped $name"
    fi
    rm -f "$dir/$name.pid"
  done
}

case "${1:-}" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  *) echo "usage: $0 start|status|stop" >&2; exit 2 ;;
esac
