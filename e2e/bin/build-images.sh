#!/usr/bin/env bash
# Builds the container images of the local cluster without any registry, and loads them
# into containerd's k8s.io namespace, where the kubelet finds them.
#
#   e2e/bin/build-images.sh [--load] [--rebuild] [image...]   default: pause coredns debian java
#   e2e/bin/build-images.sh --ref <image>                      print an image's reference
#
# Images:
#   pause     kvorum/pause:1          the pod sandbox: one static binary (images/pause/pause.c)
#   coredns   kvorum/coredns:<ver>    the CoreDNS binary from build-tools.sh, nothing else
#   debian    kvorum/debian:bookworm  debootstrap --variant=minbase, imported as one layer
#   java      kvorum/java:<release>   a jlink'ed runtime of the machine's JDK on kvorum/debian
#   node      kvorum/node:<version>   node-image/Dockerfile, BASE_IMAGE-style ARGs -> kvorum/java
#   operator  kvorum/operator:<ver>   operator/src/main/docker/Dockerfile.jvm, likewise
#             (<version>: KVORUM_VERSION, default the root pom's <revision>;
#             KVORUM_NODE_JAR=<kvorum.jar> builds the node image from that jar alone)
#
# An image is rebuilt only when its inputs changed (their hash is the image's label
# kvorum.e2e.inputs) or with --rebuild. It needs the dockerd and containerd that
# `e2e/cluster.sh up` starts (DOCKER_HOST / CONTAINERD_ADDRESS point elsewhere if set).
set -euo pipefail

E2E_DIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=e2e/bin/lib.sh
source "$E2E_DIR/bin/lib.sh"
REPO_DIR=$(cd "$E2E_DIR/.." && pwd)

export DOCKER_HOST=${DOCKER_HOST:-unix://$RUN_DIR/docker.sock}
export CONTAINERD_ADDRESS=${CONTAINERD_ADDRESS:-$RUN_DIR/containerd/containerd.sock}
use_build_jdk
JAVA_HOME_FOR_IMAGES=${KVORUM_IMAGE_JDK:-$JAVA_HOME}
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${KVORUM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What Quarkus, Netty, gRPC and RocksDB need at run time (jdk.unsupported: sun.misc.Unsafe;
# jdk.management/jfr/jcmd: diagnostics inside a pod); java.se keeps unknown library needs safe.
JLINK_MODULES=java.se,jdk.unsupported,jdk.management,jdk.management.agent,jdk.jfr,jdk.jcmd,jdk.crypto.ec,jdk.zipfs,jdk.naming.dns,jdk.net,jdk.httpserver
NICE="nice -n ${KVORUM_NICE:-15}"

java_release() { "$JAVA_HOME_FOR_IMAGES/bin/java" -XshowSettings:properties -version 2>&1 | awk '/java.specification.version/ {print $3}'; }
# The project's version: KVORUM_VERSION, else <revision> of the root pom (builds of another
# version use -Drevision=X.Y.Z, and so set KVORUM_VERSION=X.Y.Z here).
kvorum_version() { echo "${KVORUM_VERSION:-$(awk -F'[<>]' '/<revision>/ {print $3; exit}' "$REPO_DIR/pom.xml")}"; }

ref_of() {
  case "$1" in
    pause) echo kvorum/pause:1 ;;
    coredns) echo "kvorum/coredns:$(module_version "$E2E_DIR/tools/coredns" github.com/coredns/coredns | sed 's/^v//')" ;;
    debian) echo "kvorum/debian:$DEBIAN_SUITE" ;;
    java) echo "kvorum/java:$(java_release)" ;;
    node) echo "kvorum/node:$(kvorum_version)" ;;
    operator) echo "kvorum/operator:$(kvorum_version)" ;;
    *) die "unknown image '$1'; known images: pause coredns debian java node operator" ;;
  esac
}

if [[ "${1:-}" == "--ref" ]]; then ref_of "${2:?--ref needs an image name}"; exit 0; fi
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0; fi

LOAD=0 REBUILD=0 wanted=()
for a in "$@"; do
  case "$a" in
    --load) LOAD=1 ;;
    --rebuild) REBUILD=1 ;;
    -*) die "unknown option '$a'; see --help" ;;
    *) ref_of "$a" >/dev/null; wanted+=("$a") ;;
  esac
done
[[ ${#wanted[@]} -gt 0 ]] || wanted=(pause coredns debian java)

docker version >/dev/null 2>&1 || die "no docker daemon at $DOCKER_HOST; start it with: e2e/cluster.sh up"
mkdir -p "$IMAGES_DIR"

# current() <ref> <inputs hash>: true when the image exists and was built from these inputs
current() {
  [[ "$REBUILD" == 0 ]] || return 1
  [[ "$(docker image inspect -f '{{index .Config.Labels "kvorum.e2e.inputs"}}' "$1" 2>/dev/null)" == "$2" ]]
}
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# import_tree <dir> <ref> <inputs> <docker import --change...>: one-layer image of a folder
import_tree() {
  local dir=$1 ref=$2 inputs=$3; shift 3
  local changes=(--change "LABEL kvorum.e2e.inputs=$inputs")
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$dir" --numeric-owner -c . | docker import "${changes[@]}" - "$ref" >/dev/null
}

build_pause() {
  local ref; ref=$(ref_of pause)
  local inputs; inputs=$(hash_of "$E2E_DIR/images/pause/pause.c")
  current "$ref" "$inputs" && { log "pause: $ref is current"; return 0; }
  command -v gcc >/dev/null || die "gcc is needed for the pause image: apt-get install -y gcc libc6-dev"
  local dir="$IMAGES_DIR/pause"; rm -rf "$dir"; mkdir -p "$dir"
  gcc -static -Os -Wall -Wextra -o "$dir/pause" "$E2E_DIR/images/pause/pause.c"
  strip "$dir/pause"
  import_tree "$dir" "$ref" "$inputs" 'ENTRYPOINT ["/pause"]'
  log "pause: built $ref ($(du -h "$dir/pause" | cut -f1))"
}

build_coredns() {
  local ref bin
  ref=$(ref_of coredns); bin="$BIN_DIR/coredns"
  [[ -x "$bin" ]] || "$E2E_DIR/bin/build-tools.sh" coredns
  local inputs; inputs=$(hash_of "$bin.stamp")
  current "$ref" "$inputs" && { log "coredns: $ref is current"; return 0; }
  local dir="$IMAGES_DIR/coredns"; rm -rf "$dir"; mkdir -p "$dir/etc/coredns"
  cp "$bin" "$dir/coredns"
  import_tree "$dir" "$ref" "$inputs" 'ENTRYPOINT ["/coredns"]'
  log "coredns: built $ref"
}

# The root filesystem is kept as a tarball, so a wiped docker store does not mean another
# debootstrap (the slow, network-bound step).
build_debian() {
  local ref; ref=$(ref_of debian)
  local tarball="$IMAGES_DIR/debian-$DEBIAN_SUITE.tar"
  local inputs; inputs=$(echo "$DEBIAN_SUITE minbase netbase,procps" | sha256sum | cut -c1-16)
  current "$ref" "$inputs" && { log "debian: $ref is current"; return 0; }
  if [[ ! -s "$tarball" || "$REBUILD" == 1 ]]; then
    command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install -y debootstrap"
    local root="$IMAGES_DIR/debian-rootfs" start=$SECONDS
    rm -rf "$root"
    log "debian: debootstrap $DEBIAN_SUITE from $DEBIAN_MIRROR (a few minutes; log $IMAGES_DIR/debootstrap.log)"
    $NICE debootstrap --variant=minbase --include=netbase,procps "$DEBIAN_SUITE" "$root" "$DEBIAN_MIRROR" \
      > "$IMAGES_DIR/debootstrap.log" 2>&1 &
    local pid=$! next=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
      sleep 2
      if (( SECONDS >= next )); then
        log "      debootstrap: $((SECONDS - start))s, $(tail -1 "$IMAGES_DIR/debootstrap.log" | cut -c1-80)"
        next=$((next + 30))
      fi
    done
    wait "$pid" || { tail -20 "$IMAGES_DIR/debootstrap.log" >&2; die "debootstrap failed; log: $IMAGES_DIR/debootstrap.log"; }
    # no package caches or lists in the image; apt-get update restores the lists if needed
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
    tar -C "$root" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
    log "debian: root filesystem in $((SECONDS - start))s ($(du -h "$tarball" | cut -f1))"
  fi
  docker import --change "LABEL kvorum.e2e.inputs=$inputs" --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tarball" "$ref" >/dev/null
  log "debian: built $ref"
}

build_java() {
  local ref base; ref=$(ref_of java); base=$(ref_of debian)
  build_debian
  local base_id; base_id=$(docker image inspect -f '{{.Id}}' "$base")
  local inputs; inputs=$(echo "$base_id $JLINK_MODULES $("$JAVA_HOME_FOR_IMAGES/bin/java" -version 2>&1 | head -2)" | sha256sum | cut -c1-16)
  current "$ref" "$inputs" && { log "java: $ref is current"; return 0; }
  local ctx="$IMAGES_DIR/java" start=$SECONDS
  rm -rf "$ctx"; mkdir -p "$ctx"
  log "java: jlink $JLINK_MODULES"
  $NICE "$JAVA_HOME_FOR_IMAGES/bin/jlink" --add-modules "$JLINK_MODULES" --strip-debug --no-man-pages \
    --no-header-files --compress=zip-6 --output "$ctx/jre"
  cat > "$ctx/Dockerfile" <<EOF
FROM $base
COPY jre /opt/java
ENV JAVA_HOME=/opt/java PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL kvorum.e2e.inputs=$inputs
EOF
  $NICE docker build --network host -q -t "$ref" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "java: built $ref in $((SECONDS - start))s ($(docker run --rm --network none "$ref" java -version 2>&1 | head -1))"
}

# build_app <image> <dockerfile> <context>: an image of another module, on kvorum/java.
# Every ARG of the Dockerfile whose name contains BASE gets the local base image.
build_app() {
  local name=$1 dockerfile=$2 context=$3 ref java_ref
  ref=$(ref_of "$name")
  [[ -f "$dockerfile" ]] || die "$name: $dockerfile does not exist yet"
  build_java
  java_ref=$(ref_of java)
  local args=() a
  for a in $(awk '/^ARG/ {sub(/=.*/, "", $2); print $2}' "$dockerfile" | grep -i base || true); do
    args+=(--build-arg "$a=$java_ref")
  done
  [[ ${#args[@]} -gt 0 ]] || log "$name: $dockerfile has no *BASE* ARG; building it with its own FROM"
  local start=$SECONDS
  log "$name: docker build -f ${dockerfile#"$REPO_DIR"/} ${args[*]} ${context#"$REPO_DIR"/}"
  $NICE docker build --network host -q -f "$dockerfile" "${args[@]}" -t "$ref" "$context" >/dev/null
  log "$name: built $ref in $((SECONDS - start))s"
}

# The node image's context. With KVORUM_NODE_JAR (a kvorum.jar built elsewhere, e.g. another
# version kept aside by demo.sh) a folder holding just that jar where the Dockerfile expects it
# (server/target/kvorum.jar); otherwise node-image/ itself.
node_context() {
  if [[ -z "${KVORUM_NODE_JAR:-}" ]]; then echo "$REPO_DIR/node-image"; return 0; fi
  [[ -s "$KVORUM_NODE_JAR" ]] || die "KVORUM_NODE_JAR=$KVORUM_NODE_JAR is not a file"
  local ctx="$IMAGES_DIR/node-context"
  rm -rf "$ctx"; mkdir -p "$ctx/server/target"
  cp "$KVORUM_NODE_JAR" "$ctx/server/target/kvorum.jar"
  echo "$ctx"
}

load() {
  local ref want
  ref=$(ref_of "$1")
  want=$(docker image inspect -f '{{.Id}}' "$ref")
  local stamp="$IMAGES_DIR/${ref//[:\/]/_}.loaded"
  if [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]] \
      && [[ -n "$(ctr -n k8s.io images ls -q "name==docker.io/$ref" 2>/dev/null)" ]]; then
    log "$1: already in containerd (k8s.io)"
    return 0
  fi
  docker save "$ref" | ctr -n k8s.io images import - >/dev/null
  echo "$want" > "$stamp"
  log "$1: loaded $ref into containerd (k8s.io)"
}

# One function, read whole before it runs: editing this file during a build is harmless.
main() {
  for img in "${wanted[@]}"; do
    case "$img" in
      pause) build_pause ;;
      coredns) build_coredns ;;
      debian) build_debian ;;
      java) build_java ;;
      node) build_app node "$REPO_DIR/node-image/Dockerfile" "$(node_context)" ;;
      operator) build_app operator "$REPO_DIR/operator/src/main/docker/Dockerfile.jvm" "$REPO_DIR/operator" ;;
    esac
    if [[ "$LOAD" == 1 ]]; then load "$img"; fi
  done
}

main; exit $?
