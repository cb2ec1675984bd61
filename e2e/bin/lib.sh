# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the scripts that source it
# Shared by the e2e scripts (sourced, not run). Defines where things live and small helpers.
#
# Everything generated lives under KVORUM_CACHE, never in the repository:
#   bin/<k8s version>/      built binaries (build-tools.sh)
#   kube-api-test/          the folder layout fabric8 kube-api-test reads
#   images/                 root filesystems and image tarballs (build-images.sh)
#   run/                    the running cluster: certs, configs, data, pids, logs (cluster.sh)

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
KVORUM_CACHE=${KVORUM_CACHE:-$HOME/.cache/kvorum-e2e}

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# module_version <module dir> <module path>: the version go.mod requires, without running go
module_version() {
  awk -v m="$2" '$1 == "require" {$1 = ""; $0 = $0} $1 == m && $2 ~ /^v/ {print $2; exit}' "$1/go.mod"
}

K8S_VERSION=$(module_version "$E2E_DIR/tools" k8s.io/kubernetes)
[[ -n "$K8S_VERSION" ]] || die "cannot read the k8s.io/kubernetes version from $E2E_DIR/tools/go.mod"
BIN_DIR="$KVORUM_CACHE/bin/$K8S_VERSION"
KUBE_API_TEST_DIR="$KVORUM_CACHE/kube-api-test"
IMAGES_DIR="$KVORUM_CACHE/images"
RUN_DIR="$KVORUM_CACHE/run"
LOG_DIR="$RUN_DIR/logs"

# use_build_jdk: exports JAVA_HOME as the JDK the scripts build and run Java with:
# JAVA_HOME_FOR_BUILD when set, else what .ci/select-jdk.sh picks (the JAVA_HOME already set
# when it is 21 or newer, else the newest JDK >= 21 under /usr/lib/jvm)
use_build_jdk() {
  if [[ -n "${JAVA_HOME_FOR_BUILD:-}" ]]; then export JAVA_HOME=$JAVA_HOME_FOR_BUILD; fi
  # shellcheck source=.ci/select-jdk.sh
  source "$E2E_DIR/../.ci/select-jdk.sh" || die "no JDK 21 or newer: install one and set JAVA_HOME"
}
