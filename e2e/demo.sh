#!/usr/bin/env bash
# The user's flow on the local Kubernetes, start to finish:
#
#   e2e/demo.sh            cluster up; node jars at A and B; operator; images; helm install;
#                          a 3-member KVCluster at A; bump spec.version to B and watch it roll
#   e2e/demo.sh --no-upgrade   stop once the cluster at A is Available
#   e2e/demo.sh --prepare-only cluster, jars and images only (what the *E2E tests start with)
#   e2e/demo.sh --delete   delete the demo's KVCluster and wait until its pods are gone
#
# A is the root pom's <revision> (KVORUM_VERSION_A), B the next minor (KVORUM_VERSION_B,
# built with -Drevision=B in a copy of the tree under the cache, so the working tree's
# target/ keeps version A). Builds are skipped when their sources did not change (a hash of
# them is kept next to each jar); a KVCluster left by an earlier run is deleted first, so
# every run shows a fresh create and upgrade. Every wait is bounded.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=e2e/bin/lib.sh
source "$E2E_DIR/bin/lib.sh"
REPO_DIR=$(cd "$E2E_DIR/.." && pwd)

use_build_jdk
VERSION_A=${KVORUM_VERSION_A:-$(awk -F'[<>]' '/<revision>/ {print $3; exit}' "$REPO_DIR/pom.xml")}
VERSION_B=${KVORUM_VERSION_B:-$(echo "$VERSION_A" | awk -F. '{print $1 "." $2 + 1 ".0"}')}
NAMESPACE=${KVORUM_DEMO_NAMESPACE:-default}
OPERATOR_NS=kvorum-system
CLUSTER=demo
JARS_DIR="$KVORUM_CACHE/jars"
READY_TIMEOUT=${KVORUM_DEMO_READY_TIMEOUT:-900}
UPGRADE_TIMEOUT=${KVORUM_DEMO_UPGRADE_TIMEOUT:-1200}
NICE="nice -n ${KVORUM_NICE:-10}"
# 1: keep jars and the operator build that exist even when their sources changed (a shared
# tree where others edit node-image/ all the time, or a sibling module that does not build
# at the moment); a rebuild then happens only when nothing is cached.
REUSE_BUILDS=${KVORUM_E2E_REUSE_BUILDS:-0}
UPGRADE=1 PREPARE_ONLY=0 DELETE_ONLY=0
for a in "$@"; do
  case "$a" in
    --no-upgrade) UPGRADE=0 ;;
    --prepare-only) PREPARE_ONLY=1 ;;
    --delete) DELETE_ONLY=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) die "unknown argument '$a'; see --help" ;;
  esac
done

step() { log "== $*"; }

# run_with_progress <label> <log> <cmd...>: a long command, one line every 30 s, its log on failure
run_with_progress() {
  local label=$1 out=$2 start=$SECONDS; shift 2
  "$@" > "$out" 2>&1 &
  local pid=$! next=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if (( SECONDS >= next )); then log "   $label: $((SECONDS - start))s"; next=$((next + 30)); fi
  done
  wait "$pid" || { tail -40 "$out" >&2; die "$label failed after $((SECONDS - start))s; log: $out"; }
  log "   $label: done in $((SECONDS - start))s"
}

# sources_hash <tree> <folder...>: what a build of those folders depends on (poms, sources)
sources_hash() {
  local tree=$1; shift
  (cd "$tree" && find pom.xml "$@" -path '*/target' -prune -o \
      \( -name pom.xml -o -path '*/src/*' -o -name Dockerfile \) -type f -print 2>/dev/null \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
}

# built_after_sources <artifact> <tree> <folder...>: the artifact exists and no pom, source or
# Dockerfile of those folders changed after it was written (right after `./mvnw verify` in
# this tree, for example: CI then packages nothing twice)
built_after_sources() {
  local artifact=$1 tree=$2; shift 2
  [[ -e "$artifact" ]] || return 1
  [[ -z "$(cd "$tree" && find pom.xml "$@" -path '*/target' -prune -o \( -name pom.xml -o -path '*/src/*' \
      -o -name Dockerfile \) -type f -newer "$artifact" -print -quit 2>/dev/null)" ]]
}

# node_jar <version> <tree>: kvorum.jar of that version, cached as $JARS_DIR/kvorum-<version>.jar
node_jar() {
  local version=$1 tree=$2 jar="$JARS_DIR/kvorum-$1.jar" hash built="$2/node-image/server/target/kvorum.jar"
  hash="$(sources_hash "$tree" node-image)"
  if [[ -s "$jar" && "$(cat "$jar.inputs" 2>/dev/null)" == "$hash" ]]; then
    log "   node jar $version: current ($jar)"; return 0
  fi
  if [[ -s "$jar" && "$REUSE_BUILDS" == 1 ]]; then
    log "   node jar $version: sources changed, reusing the cached jar (KVORUM_E2E_REUSE_BUILDS=1)"; return 0
  fi
  if [[ "$version" == "$VERSION_A" && "$tree" == "$REPO_DIR" ]] && built_after_sources "$built" "$tree" node-image; then
    log "   node jar $version: $built is newer than its sources, using it"
  else
    # maven.test.skip: not even compiled; the tests ran (or will run) in the tree's own build
    local args=(-B -q -pl node-image/server -am package -Dmaven.test.skip=true)
    [[ "$version" == "$VERSION_A" && "$tree" == "$REPO_DIR" ]] || args+=("-Drevision=$version")
    run_with_progress "mvn package node $version" "$JARS_DIR/build-$version.log" \
      bash -c "cd '$tree' && $NICE ./mvnw ${args[*]}"
  fi
  cp "$built" "$jar.tmp" && mv "$jar.tmp" "$jar"
  echo "$hash" > "$jar.inputs"
}

# A copy of the working tree (sources only) where version B is built, so that the tree's own
# target/ folders and its installed artifacts never hold B.
tree_for_b() {
  local copy="$KVORUM_CACHE/src-b"
  rm -rf "$copy"; mkdir -p "$copy"
  tar -C "$REPO_DIR" --exclude=./.git --exclude=target -cf - . | tar -C "$copy" -xf -
  echo "$copy"
}

operator_build() {
  local hash stamp="$JARS_DIR/operator.inputs"
  hash="$(sources_hash "$REPO_DIR" operator crds)"
  if [[ -d "$REPO_DIR/operator/target/quarkus-app" && "$(cat "$stamp" 2>/dev/null)" == "$hash" ]]; then
    log "   operator: current"; return 0
  fi
  if [[ -d "$REPO_DIR/operator/target/quarkus-app" && "$REUSE_BUILDS" == 1 ]]; then
    log "   operator: sources changed, reusing the last build (KVORUM_E2E_REUSE_BUILDS=1)"; return 0
  fi
  if built_after_sources "$REPO_DIR/operator/target/quarkus-app/quarkus-run.jar" "$REPO_DIR" operator crds; then
    log "   operator: operator/target/quarkus-app is newer than its sources, using it"
  else
    run_with_progress "mvn package operator" "$JARS_DIR/build-operator.log" \
      bash -c "cd '$REPO_DIR' && $NICE ./mvnw -B -q -pl operator -am package -Dmaven.test.skip=true"
  fi
  echo "$hash" > "$stamp"
}

kc() { kubectl -n "$NAMESPACE" "$@"; }
status_of() { kc get kvcluster "$CLUSTER" -o "jsonpath={$1}" 2>/dev/null || true; }
show() { kc get kvcluster "$CLUSTER" --no-headers 2>/dev/null | sed 's/^/   /' >&2 || true; }

# wait_until <timeout s> <what> <test command...>: polls every 5 s, a status line every 30 s
wait_until() {
  local timeout=$1 what=$2 start=$SECONDS next=$((SECONDS + 30)); shift 2
  until "$@"; do
    if (( SECONDS - start >= timeout )); then
      kc describe kvcluster "$CLUSTER" >&2 || true
      kc get pods -l "app.kubernetes.io/instance=$CLUSTER" -o wide >&2 || true
      kubectl -n "$OPERATOR_NS" logs deploy/kvorum-operator --tail 40 >&2 || true
      die "$what: not after ${timeout}s (state above)"
    fi
    if (( SECONDS >= next )); then log "   waiting for $what: $((SECONDS - start))s"; show; next=$((next + 30)); fi
    sleep 5
  done
  log "   $what after $((SECONDS - start))s"
}
available() { [[ "$(status_of '.status.conditions[?(@.type=="Available")].status')" == True ]]; }
at_version() { [[ "$(status_of .status.version)" == "$1" ]]; }
gone() { [[ -z "$(kc get pods -o name -l "app.kubernetes.io/instance=$CLUSTER" 2>/dev/null)" ]] \
  && ! kc get kvcluster "$CLUSTER" >/dev/null 2>&1; }

delete_demo() {
  eval "$("$E2E_DIR/cluster.sh" env)"
  export PATH="$BIN_DIR:$PATH"
  if kc get kvcluster "$CLUSTER" >/dev/null 2>&1; then
    step "kubectl delete kvcluster $CLUSTER"
    kc delete kvcluster "$CLUSTER" --wait=false
  fi
  wait_until 300 "$CLUSTER and its pods gone" gone
}

main() {
  local t0=$SECONDS
  if [[ "$DELETE_ONLY" == 1 ]]; then delete_demo; return 0; fi
  step "local Kubernetes (e2e/cluster.sh up)"
  "$E2E_DIR/cluster.sh" up
  eval "$("$E2E_DIR/cluster.sh" env)"
  export PATH="$BIN_DIR:$PATH"

  step "node jars: $VERSION_A and $VERSION_B (cached in $JARS_DIR)"
  mkdir -p "$JARS_DIR"
  node_jar "$VERSION_A" "$REPO_DIR"
  node_jar "$VERSION_B" "$(tree_for_b)"
  step "operator"
  operator_build

  step "images (e2e/bin/build-images.sh --load)"
  KVORUM_VERSION=$VERSION_A KVORUM_NODE_JAR="$JARS_DIR/kvorum-$VERSION_A.jar" \
    "$E2E_DIR/bin/build-images.sh" --load java node operator
  KVORUM_VERSION=$VERSION_B KVORUM_NODE_JAR="$JARS_DIR/kvorum-$VERSION_B.jar" \
    "$E2E_DIR/bin/build-images.sh" --load node
  if [[ "$PREPARE_ONLY" == 1 ]]; then step "prepared in $((SECONDS - t0))s"; return 0; fi

  step "helm install kvorum-operator (image kvorum/operator:$VERSION_A, pullPolicy Never)"
  kubectl apply --server-side --force-conflicts -f "$REPO_DIR/helm/kvorum-operator/crds/" >/dev/null
  # The image's id as a pod annotation: a rebuilt image under the same tag rolls the operator.
  local image_id; image_id=$(DOCKER_HOST="unix://$RUN_DIR/docker.sock" docker image inspect -f '{{.Id}}' "kvorum/operator:$VERSION_A")
  helm upgrade --install kvorum-operator "$REPO_DIR/helm/kvorum-operator" -n "$OPERATOR_NS" \
    --create-namespace --set image.repository=kvorum/operator --set "image.tag=$VERSION_A" \
    --set image.pullPolicy=Never --set-string "podAnnotations.kvorum-e2e/image-id=$image_id" \
    --wait --timeout 5m
  kubectl -n "$OPERATOR_NS" rollout status deploy/kvorum-operator --timeout 5m

  delete_demo   # one an earlier run left
  step "kubectl apply -f e2e/examples/kvcluster.yaml ($VERSION_A, 3 members)"
  sed "s/^  version: .*/  version: \"$VERSION_A\"/" "$E2E_DIR/examples/kvcluster.yaml" | kc apply -f -
  wait_until "$READY_TIMEOUT" "$CLUSTER Available" available
  kc get kvcluster "$CLUSTER"

  if [[ "$UPGRADE" == 1 ]]; then
    step "upgrade: spec.version $VERSION_A -> $VERSION_B; kubectl get kvcluster -w (up to ${UPGRADE_TIMEOUT}s)"
    kc patch kvcluster "$CLUSTER" --type merge -p "{\"spec\":{\"version\":\"$VERSION_B\"}}"
    # kubectl itself in the background (not through kc, a function: its subshell's kill would
    # leave the watch running)
    kubectl -n "$NAMESPACE" get kvcluster "$CLUSTER" -w &
    local watch=$!
    local start=$SECONDS ok=1
    until at_version "$VERSION_B"; do
      if (( SECONDS - start >= UPGRADE_TIMEOUT )); then ok=0; break; fi
      sleep 5
    done
    kill "$watch" 2>/dev/null || true; wait "$watch" 2>/dev/null || true
    kc get events --field-selector "involvedObject.name=$CLUSTER" --sort-by .lastTimestamp | tail -20
    [[ "$ok" == 1 ]] || { kc describe kvcluster "$CLUSTER" >&2; die "upgrade to $VERSION_B did not finish in ${UPGRADE_TIMEOUT}s"; }
    log "   upgrade done in $((SECONDS - start))s"
  fi

  local ip; ip=$(kc get svc "$CLUSTER-client" -o 'jsonpath={.spec.clusterIP}')
  step "done in $((SECONDS - t0))s"
  cat <<EOF

Reach the cluster from this machine (kube-proxy routes the client Service's ClusterIP):

  eval "\$(e2e/cluster.sh env)"
  kubectl get kvcluster $CLUSTER -o wide
  ETCDCTL_API=3 etcdctl --endpoints $ip:2379 member list
  ETCDCTL_API=3 etcdctl --endpoints $ip:2379 put greeting hello
  ETCDCTL_API=3 etcdctl --endpoints $ip:2379 get greeting

(Endpoints without http:// : etcdctl 3.4 then sends a valid :authority; see e2e/README.md.)
Stop everything with: e2e/cluster.sh down
EOF
}

main; exit $?
