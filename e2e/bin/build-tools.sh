#!/usr/bin/env bash
# Builds the local Kubernetes binaries, helm and CoreDNS from the Go module proxy into a
# cache outside the repository, and lays out the folder kube-api-test reads.
#
#   e2e/bin/build-tools.sh                 build everything that is missing
#   e2e/bin/build-tools.sh kubectl helm    build only these (if missing)
#   e2e/bin/build-tools.sh --list          print the tool names, in build order
#
# Versions come from e2e/tools/go.mod (Kubernetes, helm) and e2e/tools/coredns/go.mod
# (CoreDNS), so a version bump there is the only edit needed. A binary is rebuilt when the
# go.mod/go.sum it was built from changed (a stamp file beside it records their hash).
#
# Output:  ${KVORUM_CACHE:-~/.cache/kvorum-e2e}/bin/<k8s version>/<tool>
#          ${KVORUM_CACHE}/bin/<k8s version>/timings.tsv   (tool, seconds, date)
#          ${KVORUM_CACHE}/kube-api-test/k8s/<x.y.z>-linux-amd64/{etcd,kube-apiserver,kubectl}
#
# Builds run under `nice -n ${KVORUM_NICE:-15}` one at a time: the machine is shared.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=e2e/bin/lib.sh
source "$E2E_DIR/bin/lib.sh"

# Build order matters: kube-apiserver and kubectl first, because the operator's
# integration tests (kube-api-test) need only those two and can start early.
ALL_TOOLS=(kube-apiserver kubectl kube-controller-manager kube-scheduler kubelet kube-proxy helm coredns)

if [[ "${1:-}" == "--list" ]]; then printf '%s\n' "${ALL_TOOLS[@]}"; exit 0; fi
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0; fi

wanted=("$@")
if [[ ${#wanted[@]} -eq 0 ]]; then wanted=("${ALL_TOOLS[@]}"); fi
for t in "${wanted[@]}"; do
  if [[ ! " ${ALL_TOOLS[*]} " == *" $t "* ]]; then
    die "unknown tool '$t'; known tools: ${ALL_TOOLS[*]}"
  fi
done

command -v go >/dev/null || die "go is not on PATH; install Go 1.24 or newer"

TOOLS_MOD="$E2E_DIR/tools"
COREDNS_MOD="$E2E_DIR/tools/coredns"
HELM_VERSION=$(module_version "$TOOLS_MOD" helm.sh/helm/v3)
COREDNS_VERSION=$(module_version "$COREDNS_MOD" github.com/coredns/coredns)
K8S_MINOR=$(echo "$K8S_VERSION" | cut -d. -f2)

mkdir -p "$BIN_DIR"
TIMINGS="$BIN_DIR/timings.tsv"
# One build at a time, also across callers (cluster.sh up, smoke.sh, a user in a shell).
exec 9> "$BIN_DIR/.lock"
if ! flock -n 9; then log "another build-tools.sh is running; waiting for it to finish"; flock 9; fi

# package, module dir and -ldflags of one tool
package_of() {
  case "$1" in
    helm) echo helm.sh/helm/v3/cmd/helm ;;
    coredns) echo kvorum.io/e2e/tools/coredns ;;
    *) echo "k8s.io/kubernetes/cmd/$1" ;;
  esac
}
module_of() { if [[ "$1" == coredns ]]; then echo "$COREDNS_MOD"; else echo "$TOOLS_MOD"; fi; }
ldflags_of() {
  local f="-s -w"
  case "$1" in
    helm)
      # what helm's Makefile sets: its version, and the Kubernetes version lint/template assume
      f+=" -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
      f+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
      f+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$K8S_MINOR"
      f+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$K8S_MINOR"
      ;;
    coredns)
      f+=" -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"
      ;;
    *)
      # without these the binaries report v0.0.0-master and kubectl warns about version skew
      local p
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        f+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$K8S_MINOR -X $p.gitTreeState=clean"
      done
      ;;
  esac
  echo "$f"
}
stamp_of() { cat "$(module_of "$1")/go.mod" "$(module_of "$1")/go.sum" | sha256sum | cut -c1-16; }

build_one() {
  local tool=$1 n=$2 total=$3 out="$BIN_DIR/$1"
  local stamp; stamp=$(stamp_of "$tool")
  if [[ -x "$out" && "$(cat "$out.stamp" 2>/dev/null)" == "$stamp" ]]; then
    log "[$n/$total] $tool: cached ($out)"
    return 0
  fi
  log "[$n/$total] $tool: building $(package_of "$tool") (nice ${KVORUM_NICE:-15}; this takes minutes on a busy machine)"
  local start=$SECONDS tmp="$out.tmp.$$"
  (
    cd "$(module_of "$tool")"
    # -buildvcs=false: the module sits inside the project's git tree, whose state is not
    # the tools' version (and a CI checkout may not let go run git)
    CGO_ENABLED=0 nice -n "${KVORUM_NICE:-15}" go build -buildvcs=false -trimpath -ldflags "$(ldflags_of "$tool")" \
      -o "$tmp" "$(package_of "$tool")"
  ) > "$BIN_DIR/$tool.build.log" 2>&1 &
  local pid=$! next=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if (( SECONDS >= next )) && kill -0 "$pid" 2>/dev/null; then
      log "      $tool: still building, $((SECONDS - start))s"
      next=$((next + 30))
    fi
  done
  if ! wait "$pid"; then
    rm -f "$tmp"
    tail -30 "$BIN_DIR/$tool.build.log" >&2
    die "$tool failed to build after $((SECONDS - start))s; full log: $BIN_DIR/$tool.build.log"
  fi
  mv -f "$tmp" "$out"
  echo "$stamp" > "$out.stamp"
  local secs=$((SECONDS - start))
  printf '%s\t%s\t%s\n' "$tool" "$secs" "$(date -u +%FT%TZ)" >> "$TIMINGS"
  log "[$n/$total] $tool: built in ${secs}s ($(du -h "$out" | cut -f1))"
}

# kube-api-test wants k8s/<x.y.z>-linux-amd64/{etcd,kube-apiserver,kubectl}; etcd is
# Debian's etcd-server, the same one the local cluster runs on.
layout_kube_api_test() {
  [[ -x "$BIN_DIR/kube-apiserver" && -x "$BIN_DIR/kubectl" ]] || return 0
  local etcd_bin; etcd_bin=$(command -v etcd || true)
  if [[ -z "$etcd_bin" ]]; then
    log "kube-api-test: etcd not found; run 'apt-get install -y etcd-server' (or e2e/cluster.sh up) and re-run"
    return 0
  fi
  local dir="$KUBE_API_TEST_DIR/k8s/${K8S_VERSION#v}-linux-amd64"
  mkdir -p "$dir"
  ln -sfn "$etcd_bin" "$dir/etcd"
  ln -sfn "$BIN_DIR/kube-apiserver" "$dir/kube-apiserver"
  ln -sfn "$BIN_DIR/kubectl" "$dir/kubectl"
  log "kube-api-test: $dir ready (KUBE_API_TEST_DIR=$KUBE_API_TEST_DIR KUBE_API_TEST_OFFLINE_MODE=true)"
}

# The whole run is one function, read before it starts: editing this file while a long
# build runs cannot change what the running script does next.
main() {
  log "Kubernetes $K8S_VERSION, helm $HELM_VERSION, CoreDNS $COREDNS_VERSION -> $BIN_DIR"
  all_start=$SECONDS
  i=0
  for t in "${ALL_TOOLS[@]}"; do
    [[ " ${wanted[*]} " == *" $t "* ]] || continue
    i=$((i + 1))
    build_one "$t" "$i" "${#wanted[@]}"
    if [[ "$t" == kubectl || "$t" == kube-apiserver ]]; then layout_kube_api_test; fi
  done
  log "tools ready in $((SECONDS - all_start))s"
}

main; exit $?
