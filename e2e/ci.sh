#!/usr/bin/env bash
# The whole end-to-end path for CI, from whatever this machine holds (nothing, or the caches
# of an earlier run), under one hard time limit:
#
#   e2e/ci.sh                      clean up, tools, cluster up, the demo, *E2E suite, down
#
#   1 clean    e2e/cluster.sh down, plus any process an interrupted earlier run left behind
#              (whose command line names the cluster's folder $KVORUM_CACHE/run), mounts, netns
#   2 tools    e2e/bin/build-tools.sh: Kubernetes, helm, CoreDNS from the Go module proxy
#              (cold ~35 min on 2 busy cores; cached: under a second)
#   3 up       e2e/cluster.sh up (cold: Debian packages, PKI, pause + CoreDNS images)
#   4 demo     e2e/demo.sh, the README's run-it flow: node jars at A and B, operator, their
#              images (cold: debootstrap + jlink base images too), helm install, a KVCluster
#              at A, the upgrade to B; then demo.sh --delete, so the suite has the node alone
#   5 suite    ./mvnw -B -f e2e/pom.xml verify -Pe2e (the *E2E tests)
#   6 down     e2e/cluster.sh down, always, also after a failure or the time limit
#
# Environment:
#   KVORUM_E2E_CI_MINUTES   hard limit for steps 1-5 (default 60); the teardown gets 5 more
#   KVORUM_E2E_CI_DEADLINE  a time (seconds since the epoch) steps 1-5 must end by, when that
#                           comes first: .ci/run gives its own end, less the teardown
#   KVORUM_CACHE            as for the other scripts (default ~/.cache/kvorum-e2e); keep it,
#                           ~/.cache/go-build and ~/go/pkg/mod between runs to skip the Go builds
#
# Needs root (containerd, kubelet, interfaces, iptables) and the network to the Go module
# proxy, Debian's mirrors and Maven Central on a cold run. Prints one line per step and a
# line every minute while one runs; ends with a table of step times. Exit status: the first
# failing step's, 124 when the time limit hit.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/.." && pwd)
# shellcheck source=e2e/bin/lib.sh
source "$E2E_DIR/bin/lib.sh"

LIMIT=$(( ${KVORUM_E2E_CI_MINUTES:-60} * 60 ))
if [[ -n "${KVORUM_E2E_CI_DEADLINE:-}" ]] && (( KVORUM_E2E_CI_DEADLINE - $(date +%s) < LIMIT )); then
  LIMIT=$(( KVORUM_E2E_CI_DEADLINE - $(date +%s) ))
fi
DEADLINE=$((SECONDS + LIMIT))
CI_LOG_DIR="$KVORUM_CACHE/ci"
use_build_jdk
TIMES=()
STATUS=0

# run_step <n> <name> <command...>: runs under what is left of the limit, a progress line
# each minute; output goes to the terminal and to $CI_LOG_DIR/<name>.log
run_step() {
  local n=$1 name=$2 start=$SECONDS left rc; shift 2
  left=$((DEADLINE - SECONDS))
  if (( left <= 0 )); then
    log "[ci $n/6] $name: skipped, the ${LIMIT}s limit is used up"; STATUS=124; return 124
  fi
  log "[ci $n/6] $name: $* (at most ${left}s)"
  ( while sleep 60; do log "[ci $n/6] $name: $((SECONDS - start))s"; done ) &
  local ticker=$!
  timeout --kill-after=30 "$left" "$@" 2>&1 | tee "$CI_LOG_DIR/$name.log"
  rc=${PIPESTATUS[0]}
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null
  TIMES+=("$name $((SECONDS - start)) $rc")
  if (( rc == 0 )); then
    log "[ci $n/6] $name: done in $((SECONDS - start))s"
  else
    (( rc == 124 )) && log "[ci $n/6] $name: stopped by the time limit (${LIMIT}s in all)"
    log "[ci $n/6] $name: FAILED (exit $rc) after $((SECONDS - start))s; log: $CI_LOG_DIR/$name.log"
    STATUS=$rc
  fi
  return "$rc"
}

# Processes an interrupted earlier run left without pid files. Every daemon and container
# shim cluster.sh starts names a path under $RUN_DIR (its data, config, socket or certs) on
# its command line; nothing else does. Not the whole cache: other tools point at it too
# (the operator's kube-api-test runs its own etcd and API server from $KVORUM_CACHE/kube-api-test).
kill_leftovers() {
  local dir pid cmdline found=0
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    (( pid == $$ || pid == BASHPID || pid == PPID )) && continue
    cmdline=$(tr '\0' ' ' < "$dir/cmdline" 2>/dev/null) || continue
    [[ "$cmdline" == *"$RUN_DIR/"* ]] || continue
    log "   leftover process $pid: ${cmdline:0:120}"
    kill -KILL "$pid" 2>/dev/null && found=$((found + 1))
  done
  log "   leftover processes killed: $found"
}

clean() {
  "$E2E_DIR/cluster.sh" down || true
  kill_leftovers
  # down again: now that nothing holds them, mounts, netns, interfaces and rules go
  "$E2E_DIR/cluster.sh" down
}

teardown() {
  local start=$SECONDS
  log "[ci 6/6] down: e2e/cluster.sh down"
  timeout --kill-after=30 300 "$E2E_DIR/cluster.sh" down 2>&1 | tee "$CI_LOG_DIR/down.log"
  TIMES+=("down $((SECONDS - start)) ${PIPESTATUS[0]}")
  echo
  printf '%-10s %8s  %s\n' step seconds exit
  local t
  for t in "${TIMES[@]}"; do read -r name secs rc <<< "$t"; printf '%-10s %8s  %s\n' "$name" "$secs" "$rc"; done
  printf '%-10s %8s\n' total "$SECONDS"
  (( STATUS == 0 )) && log "e2e CI: passed in ${SECONDS}s" || log "e2e CI: FAILED (exit $STATUS) after ${SECONDS}s; logs: $CI_LOG_DIR, $LOG_DIR"
}

diagnostics() {
  log "cluster state at the failure:"
  "$E2E_DIR/cluster.sh" status 2>&1 | tail -40 || true
  local c
  for c in kube-apiserver kubelet containerd; do
    [[ -f "$LOG_DIR/$c.log" ]] && { echo "--- $c.log (last 15 lines)"; tail -15 "$LOG_DIR/$c.log"; }
  done
}

main() {
  [[ $EUID -eq 0 ]] || die "e2e/ci.sh needs root (it starts containerd and a kubelet)"
  mkdir -p "$CI_LOG_DIR"
  trap teardown EXIT
  trap 'log "interrupted"; STATUS=130; exit 130' INT TERM
  log "e2e CI: limit ${LIMIT}s for the steps, cache $KVORUM_CACHE"
  run_step 1 clean "$0" --clean &&
  run_step 2 tools "$E2E_DIR/bin/build-tools.sh" &&
  run_step 3 up "$E2E_DIR/cluster.sh" up &&
  run_step 4 demo bash -c "'$E2E_DIR/demo.sh' && '$E2E_DIR/demo.sh' --delete" &&
  # the suite's own prepare step must test what step 4 built, not rebuild because a file
  # changed meanwhile (a shared working tree): REUSE_BUILDS
  run_step 5 suite env KVORUM_E2E_REUSE_BUILDS=1 bash -c "cd '$REPO_DIR' && ./mvnw -B -f e2e/pom.xml verify -Pe2e"
  if (( STATUS != 0 )); then diagnostics; fi
  return "$STATUS"
}

# `timeout` runs programs, not functions: step 1 is this script again with --clean
if [[ "${1:-}" == --clean ]]; then clean; exit $?; fi
main "$@"; exit $?
