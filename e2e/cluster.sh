#!/usr/bin/env bash
# A local single-node Kubernetes made of real components, run as plain processes.
#
#   e2e/cluster.sh up        start everything that is not running (idempotent)
#   e2e/cluster.sh up --storage kvorum
#                            the same, with the API server's data in a 3-member Kvorum cluster
#                            on loopback instead of Debian's etcd (KVORUM_E2E_STORAGE=kvorum)
#   e2e/cluster.sh down      stop everything, remove containers, mounts, interfaces and rules
#   e2e/cluster.sh status    one line per component, then nodes and kube-system pods
#   e2e/cluster.sh env       print `export KUBECONFIG=...` for this cluster
#
# Environment:
#   KVORUM_CACHE              where binaries, images and the running cluster live
#                             (default ~/.cache/kvorum-e2e; logs in $KVORUM_CACHE/run/logs)
#   KVORUM_E2E_ETCD_SERVERS=http://127.0.0.1:2379
#                             store the API server's data in an etcd-compatible server that is
#                             already running (e.g. a Kvorum cluster) instead of starting
#                             Debian's etcd; compare behaviours with the same workload
#   KVORUM_E2E_STORAGE=etcd|kvorum   what `up` stores the API server's data in (`--storage`
#                             overrides it; default: what the running cluster uses, else etcd). kvorum runs node-image/server/target/
#                             kvorum.jar (or KVORUM_E2E_KVORUM_JAR, or the cached jar of
#                             e2e/demo.sh) as kvorum-1..3: clients 127.0.0.1:32479,32579,32679,
#                             peers :32480,32580,32680, data in $KVORUM_CACHE/run/kvorum
#   KVORUM_E2E_CONTROL_PLANE_ONLY=1
#                             start etcd, kube-apiserver, kube-controller-manager and
#                             kube-scheduler only (no containerd, kubelet, kube-proxy, DNS)
#
# Addresses (all created here, none leave the machine):
#   etcd            http://127.0.0.1:32379 (peer 32380)  -- not 2379, which the node's tests use
#   node address    10.250.0.1 on the port-less bridge kvorum0: kube-apiserver :6443 and the
#                   kubelet :10250 listen there, because Service endpoints and pods cannot
#                   use loopback; nothing outside this machine routes to it
#   pods            10.244.0.0/24 on the bridge kvorum-cni0 (gateway 10.244.0.1)
#   services        10.96.0.0/16; kubernetes 10.96.0.1, cluster DNS 10.96.0.10
#   controller-manager 127.0.0.1:10257, scheduler 127.0.0.1:10259, kubelet healthz
#   127.0.0.1:10248, kube-proxy healthz 127.0.0.1:10256 and metrics 127.0.0.1:10249
set -euo pipefail

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=e2e/bin/lib.sh
source "$E2E_DIR/bin/lib.sh"

NODE_NAME=kvorum-node
NODE_IP=10.250.0.1
NODE_IF=kvorum0
POD_BRIDGE=kvorum-cni0
CLUSTER_CIDR=10.244.0.0/16
POD_CIDR=10.244.0.0/24
POD_GATEWAY=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SVC_IP=10.96.0.1
DNS_IP=10.96.0.10
ETCD_CLIENT=${KVORUM_E2E_ETCD_SERVERS:-http://127.0.0.1:32379}
STORAGE=${KVORUM_E2E_STORAGE:-}   # empty: what the running cluster uses, else etcd
KVORUM_MEMBERS=(kvorum-1 kvorum-2 kvorum-3)
KVORUM_CLIENT_PORTS=(32479 32579 32679)
ETCD_PEER=http://127.0.0.1:32380
APISERVER=https://$NODE_IP:6443

PKI="$RUN_DIR/pki"
PIDS="$RUN_DIR/pids"
CONTAINERD_SOCK="$RUN_DIR/containerd/containerd.sock"
CONTAINERD_ROOT="$KVORUM_CACHE/containerd"   # image store: survives down/up
DOCKER_SOCK="$RUN_DIR/docker.sock"
DOCKER_ROOT="$KVORUM_CACHE/docker"           # image store: survives down/up
KUBELET_DIR="$RUN_DIR/kubelet"
CNI_CONF_DIR="$RUN_DIR/cni/net.d"
CNI_IPAM_DIR="$RUN_DIR/cni/ipam"
ADMIN_KUBECONFIG="$RUN_DIR/admin.kubeconfig"
CNI_BIN_DIR=/usr/lib/cni
VOLUMES_DIR="$RUN_DIR/volumes"
VOLUME_COUNT=${KVORUM_E2E_VOLUMES:-24}
CONTROL_PLANE_ONLY=${KVORUM_E2E_CONTROL_PLANE_ONLY:-0}

kubectl() { "$BIN_DIR/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# ---------------------------------------------------------------------------------------
# processes

# A pid file holds "<pid> <program>". A pid counts only while its command line still names
# that program and a path under $KVORUM_CACHE (every daemon here is given one), so a stale
# file from an earlier session never makes us signal someone else's process, say another
# etcd on this machine.
pid_of() {
  local p prog cmdline
  [[ -f "$PIDS/$1.pid" ]] || return 0
  read -r p prog < "$PIDS/$1.pid" || return 0
  [[ -n "$p" && -n "$prog" ]] || return 0
  cmdline=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null) || return 0
  [[ "$cmdline" == *"$prog"* && "$cmdline" == *"$KVORUM_CACHE"* ]] && echo "$p"
  return 0
}
running() { [[ -n "$(pid_of "$1")" ]]; }

# start_daemon <name> <command...>: runs detached, output to $LOG_DIR/<name>.log
start_daemon() {
  local name=$1; shift
  if running "$name"; then log "$name: already running (pid $(pid_of "$name"))"; return 0; fi
  mkdir -p "$PIDS" "$LOG_DIR"
  setsid "$@" >> "$LOG_DIR/$name.log" 2>&1 < /dev/null &
  local pid=$! i
  echo "$pid $1" > "$PIDS/$name.pid"
  # Until the forked shell has exec'd the program, its command line is this script's and
  # pid_of does not know it: wait_until took that moment for an exit (seen once on a busy first
  # run: "kube-scheduler exited" while it was starting). Wait for the exec, or for an early death.
  for ((i = 0; i < 100; i++)); do
    if running "$name" || ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.05
  done
  log "$name: started (pid $pid, log $LOG_DIR/$name.log)"
}

# wait_until <what> <seconds> <command...>: polls once a second, shows progress every 10 s;
# when <what> is a daemon started here, its exit ends the wait at once, with its log's tail
wait_until() {
  local what=$1 limit=$2 start=$SECONDS; shift 2
  until "$@" >/dev/null 2>&1; do
    if [[ -f "$PIDS/$what.pid" ]] && ! running "$what"; then
      tail -15 "$LOG_DIR/$what.log" >&2 || true
      die "$what exited; its log: $LOG_DIR/$what.log"
    fi
    if (( SECONDS - start >= limit )); then
      die "$what: not ready after ${limit}s; see the logs in $LOG_DIR"
    fi
    if (( SECONDS - start > 0 && (SECONDS - start) % 10 == 0 )); then
      log "      waiting for $what ($((SECONDS - start))s)"
    fi
    sleep 1
  done
  log "$what: ready ($((SECONDS - start))s)"
}

# write_file <path>: stdin to <path>, touching it only when the content changes, because
# kube-proxy exits when its configuration file changes under it (even to the same bytes)
write_file() {
  local tmp="$1.new.$$"
  cat > "$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv -f "$tmp" "$1"; fi
}

stop_daemon() {
  local name=$1 p
  p=$(pid_of "$name")
  if [[ -n "$p" ]]; then
    kill -TERM "$p" 2>/dev/null || true
    # 15 s of grace: the API server's graceful shutdown alone can take a minute, which a
    # throw-away test cluster does not need
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
    log "$name: stopped"
  fi
  rm -f "$PIDS/$name.pid"
}

# ---------------------------------------------------------------------------------------
# prerequisites

ensure_packages() {
  local missing=()
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v etcdctl >/dev/null || missing+=(etcd-client)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  if [[ "$CONTROL_PLANE_ONLY" != 1 ]]; then
    command -v containerd >/dev/null || missing+=(containerd)
    command -v dockerd >/dev/null || missing+=(docker.io)
    [[ -x "$CNI_BIN_DIR/bridge" ]] || missing+=(containernetworking-plugins)
    command -v iptables >/dev/null || missing+=(iptables)
    command -v conntrack >/dev/null || missing+=(conntrack)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    command -v gcc >/dev/null || missing+=(gcc libc6-dev)   # the static pause binary
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing Debian packages: ${missing[*]}"
    [[ $(id -u) == 0 ]] || die "installing ${missing[*]} needs root; run: sudo apt-get install -y ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > "$RUN_DIR/apt.log" 2>&1 \
      || die "apt-get install ${missing[*]} failed; see $RUN_DIR/apt.log"
  fi
  local tools=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  [[ "$CONTROL_PLANE_ONLY" == 1 ]] || tools+=(kubelet kube-proxy coredns)
  "$E2E_DIR/bin/build-tools.sh" "${tools[@]}"
}

# ---------------------------------------------------------------------------------------
# certificates: one CA, one certificate per identity (EC P-256, valid one year)

issue_cert() {
  local name=$1 subject=$2 sans=${3:-}
  [[ -s "$PKI/$name.crt" ]] && return 0
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n "$sans" ]]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$sans"
    else echo "extendedKeyUsage=clientAuth"; fi
  } > "$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

ensure_pki() {
  mkdir -p "$PKI"; chmod 700 "$PKI"
  if [[ ! -s "$PKI/ca.crt" ]]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=kvorum-e2e-ca" -days 365 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$PKI/ca.crt" 2>/dev/null
  fi
  issue_cert apiserver "/CN=kube-apiserver" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$KUBERNETES_SVC_IP"
  issue_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  issue_cert admin "/O=system:masters/CN=kubernetes-admin"
  issue_cert controller-manager "/CN=system:kube-controller-manager"
  issue_cert scheduler "/CN=system:kube-scheduler"
  issue_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  issue_cert kubelet-serving "/CN=$NODE_NAME" "DNS:$NODE_NAME,IP:$NODE_IP,IP:127.0.0.1"
  issue_cert kube-proxy "/CN=system:kube-proxy"
  if [[ ! -s "$PKI/sa.key" ]]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/sa.key" 2>/dev/null
    openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  for who in admin controller-manager scheduler kubelet kube-proxy; do
    write_kubeconfig "$who" | write_file "$RUN_DIR/$who.kubeconfig"
  done
}

write_kubeconfig() {
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kvorum-e2e
  cluster:
    server: $APISERVER
    certificate-authority: $PKI/ca.crt
users:
- name: $1
  user:
    client-certificate: $PKI/$1.crt
    client-key: $PKI/$1.key
contexts:
- name: kvorum-e2e
  context: {cluster: kvorum-e2e, user: $1}
current-context: kvorum-e2e
EOF
}

# ---------------------------------------------------------------------------------------
# networking set-up shared by the control plane and the node

ensure_node_address() {
  if ! ip link show "$NODE_IF" >/dev/null 2>&1; then
    # A bridge with no ports: the kernel here has no dummy driver, and a local address on
    # an empty bridge is delivered locally just the same.
    ip link add "$NODE_IF" type bridge
  fi
  # (no `| grep -q` under pipefail: grep's early exit can fail the pipeline with SIGPIPE)
  [[ "$(ip -4 addr show dev "$NODE_IF")" == *"inet $NODE_IP/"* ]] || ip addr add "$NODE_IP/32" dev "$NODE_IF"
  ip link set "$NODE_IF" up
}

# ---------------------------------------------------------------------------------------
# control plane

start_etcd() {
  if [[ -n "${KVORUM_E2E_ETCD_SERVERS:-}" ]]; then
    log "storage: $ETCD_CLIENT (KVORUM_E2E_ETCD_SERVERS), no etcd of our own"
    wait_until "storage at $ETCD_CLIENT" 30 etcdctl --endpoints "$ETCD_CLIENT" endpoint health
    return 0
  fi
  mkdir -p "$RUN_DIR/etcd"; chmod 700 "$RUN_DIR/etcd"
  start_daemon etcd etcd --name kvorum-e2e --data-dir "$RUN_DIR/etcd" \
    --listen-client-urls "$ETCD_CLIENT" --advertise-client-urls "$ETCD_CLIENT" \
    --listen-peer-urls "$ETCD_PEER" --initial-advertise-peer-urls "$ETCD_PEER" \
    --initial-cluster "kvorum-e2e=$ETCD_PEER" --listen-metrics-urls http://127.0.0.1:32381
  wait_until etcd 60 etcdctl --endpoints "$ETCD_CLIENT" endpoint health
}

# The API server's storage as recorded by the `up` that started it: switching needs a `down`
# first, because the API server holds its data in one place and the kubelet's and
# controllers' state would not match the other.
check_storage() {
  local recorded
  recorded=$(cat "$RUN_DIR/storage" 2>/dev/null || echo etcd)
  if [[ -z "$STORAGE" ]]; then
    if running kube-apiserver; then STORAGE=$recorded; else STORAGE=etcd; fi
  elif running kube-apiserver && [[ "$recorded" != "$STORAGE" ]]; then
    die "the cluster is up with its data in $recorded; run 'e2e/cluster.sh down' before 'up --storage $STORAGE'"
  fi
  echo "$STORAGE" > "$RUN_DIR/storage"
}

start_storage() {
  case "$STORAGE" in
    etcd) start_etcd ;;
    kvorum) start_kvorum ;;
    *) die "unknown storage '$STORAGE': etcd or kvorum" ;;
  esac
}

kvorum_jar() {
  local candidate
  for candidate in "${KVORUM_E2E_KVORUM_JAR:-}" "$E2E_DIR/../node-image/server/target/kvorum.jar" \
      "$KVORUM_CACHE"/jars/kvorum-*.jar; do
    [[ -n "$candidate" && -s "$candidate" ]] && { echo "$candidate"; return 0; }
  done
  die "no kvorum.jar: build it (./mvnw -B -pl node-image/server -am package -DskipTests) or set KVORUM_E2E_KVORUM_JAR"
}

# Three Kvorum members on loopback; the API server is given all three client URLs, as it
# would be given an etcd cluster's.
start_kvorum() {
  local java=${KVORUM_E2E_JAVA:-} jar i name peers="" urls=""
  if [[ -z "$java" ]]; then use_build_jdk; java=$JAVA_HOME/bin/java; fi
  jar=$(kvorum_jar)
  for i in 0 1 2; do
    peers+="${peers:+,}${KVORUM_MEMBERS[$i]}=http://127.0.0.1:$((KVORUM_CLIENT_PORTS[i] + 1))"
    urls+="${urls:+,}http://127.0.0.1:${KVORUM_CLIENT_PORTS[$i]}"
  done
  for i in 0 1 2; do
    name=${KVORUM_MEMBERS[$i]}
    mkdir -p "$RUN_DIR/kvorum/$name"; chmod 700 "$RUN_DIR/kvorum/$name"
    start_daemon "$name" "$java" -Xmx512m --enable-native-access=ALL-UNNAMED -jar "$jar" \
      --name "$name" --data-dir "$RUN_DIR/kvorum/$name" \
      --listen-client-urls "http://127.0.0.1:${KVORUM_CLIENT_PORTS[$i]}" \
      --advertise-client-urls "http://127.0.0.1:${KVORUM_CLIENT_PORTS[$i]}" \
      --listen-peer-urls "http://127.0.0.1:$((KVORUM_CLIENT_PORTS[i] + 1))" \
      --initial-advertise-peer-urls "http://127.0.0.1:$((KVORUM_CLIENT_PORTS[i] + 1))" \
      --initial-cluster "$peers" --initial-cluster-token kvorum-e2e-storage --initial-cluster-state new
  done
  log "storage: Kvorum $(basename "$jar") ($jar)"
  ETCD_CLIENT=$urls
  wait_until kvorum-1 120 etcdctl --endpoints "127.0.0.1:${KVORUM_CLIENT_PORTS[0]}" endpoint health
  wait_until "Kvorum cluster of 3" 60 etcdctl --endpoints "${urls//http:\/\//}" endpoint health --cluster
}

start_apiserver() {
  start_daemon kube-apiserver "$BIN_DIR/kube-apiserver" \
    --etcd-servers "$ETCD_CLIENT" \
    --bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port 6443 \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC --allow-privileged=true \
    --enable-admission-plugins NodeRestriction \
    --profiling=false
  wait_until kube-apiserver 180 kubectl get --raw /readyz
}

start_controller_manager() {
  local kc="$RUN_DIR/controller-manager.kubeconfig"
  start_daemon kube-controller-manager "$BIN_DIR/kube-controller-manager" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port 10257 --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --allocate-node-cidrs=true --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size 24 \
    --service-cluster-ip-range "$SERVICE_CIDR" --cluster-name kvorum-e2e
  wait_until kube-controller-manager 120 curl -fsk https://127.0.0.1:10257/healthz
}

start_scheduler() {
  local kc="$RUN_DIR/scheduler.kubeconfig"
  start_daemon kube-scheduler "$BIN_DIR/kube-scheduler" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port 10259 --leader-elect=false
  wait_until kube-scheduler 120 curl -fsk https://127.0.0.1:10259/healthz
}

# ---------------------------------------------------------------------------------------
# node: containerd (CRI) + dockerd (image builds), CNI, kubelet, kube-proxy, CoreDNS

write_containerd_config() {
  mkdir -p "$RUN_DIR/containerd" "$CONTAINERD_ROOT"
  write_file "$RUN_DIR/containerd/config.toml" <<EOF
version = 2
root = "$CONTAINERD_ROOT"
state = "$RUN_DIR/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  # There is no registry to pull from: the pause image is built and loaded locally.
  sandbox_image = "$(image_ref pause)"
  # Root here lacks CAP_SYS_RESOURCE (the VM's init drops it from the bounding set), so no
  # process may lower an oom_score_adj below 0, and runc fails with "can't get final
  # child's PID from pipe" when the kubelet asks for -998 (pod sandboxes) or -997
  # (Guaranteed pods). This clamps requests to [containerd's own score, 1000].
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$CNI_CONF_DIR"
EOF
}

write_cni_config() {
  mkdir -p "$CNI_CONF_DIR" "$CNI_IPAM_DIR"
  write_file "$CNI_CONF_DIR/10-kvorum.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kvorum",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$POD_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CNI_IPAM_DIR",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

write_kubelet_config() {
  mkdir -p "$KUBELET_DIR"
  write_file "$RUN_DIR/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# This machine mounts cgroup v1 (cgroup2 only at /sys/fs/cgroup/unified) and has no systemd.
cgroupDriver: cgroupfs
failCgroupV1: false
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
# No upstream resolver for pods: names outside the cluster must not leave the machine.
resolvConf: ""
failSwapOn: false
# The kubelet's default is -999, which needs CAP_SYS_RESOURCE (see containerd's config).
oomScoreAdj: 0
# Images cannot be pulled again (no registry), so the kubelet must never collect them, and
# a fairly full disk must not evict the cluster's pods.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
serializeImagePulls: false
EOF
}

write_kube_proxy_config() {
  write_file "$RUN_DIR/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $RUN_DIR/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $CLUSTER_CIDR
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# NodePorts only on the node address, never on the machine's real interface.
nodePortAddresses: ["$NODE_IP/32"]
# Leave the machine's conntrack sysctls alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

image_ref() { "$E2E_DIR/bin/build-images.sh" --ref "$1"; }

# The kubelet sets vm.overcommit_memory=1, kernel.panic=10 and kernel.panic_on_oops=1 when it
# starts (it has no switch to leave them), and pods need forwarding; `down` puts them back.
TUNED_SYSCTLS=(net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables vm.overcommit_memory kernel.panic kernel.panic_on_oops)
save_sysctls() {
  [[ -s "$RUN_DIR/sysctl.saved" ]] && return 0
  local k
  for k in "${TUNED_SYSCTLS[@]}"; do echo "$k=$(sysctl -n "$k" 2>/dev/null)"; done > "$RUN_DIR/sysctl.saved"
}
restore_sysctls() {
  [[ -s "$RUN_DIR/sysctl.saved" ]] || return 0
  local kv
  while read -r kv; do [[ "$kv" == *= ]] || sysctl -qw "$kv" 2>/dev/null || true; done < "$RUN_DIR/sysctl.saved"
  rm -f "$RUN_DIR/sysctl.saved"
  log "sysctls restored (${TUNED_SYSCTLS[*]})"
}

start_node() {
  save_sysctls
  sysctl -qw net.ipv4.ip_forward=1
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || log "bridge netfilter sysctl missing: pod-to-service hairpin traffic may fail"
  write_containerd_config
  write_cni_config
  start_daemon containerd containerd --config "$RUN_DIR/containerd/config.toml"
  wait_until containerd 60 ctr --address "$CONTAINERD_SOCK" version
  mkdir -p "$DOCKER_ROOT" "$RUN_DIR/docker"
  # dockerd builds images only: it shares containerd, and stays out of networking
  # (no docker0, no iptables rules); builds run with --network host.
  start_daemon dockerd dockerd --host "unix://$DOCKER_SOCK" --containerd "$CONTAINERD_SOCK" \
    --data-root "$DOCKER_ROOT" --exec-root "$RUN_DIR/docker/exec" --pidfile "$RUN_DIR/docker/docker.pid" \
    --bridge none --iptables=false --ip-masq=false --storage-driver overlay2
  wait_until dockerd 60 docker --host "unix://$DOCKER_SOCK" version
  DOCKER_HOST="unix://$DOCKER_SOCK" CONTAINERD_ADDRESS="$CONTAINERD_SOCK" \
    "$E2E_DIR/bin/build-images.sh" --load pause coredns

  write_kubelet_config
  start_daemon kubelet "$BIN_DIR/kubelet" --config "$RUN_DIR/kubelet-config.yaml" \
    --kubeconfig "$RUN_DIR/kubelet.kubeconfig" --root-dir "$KUBELET_DIR" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v 1
  wait_until "node $NODE_NAME Ready" 180 kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout 1s

  write_kube_proxy_config
  start_daemon kube-proxy "$BIN_DIR/kube-proxy" --config "$RUN_DIR/kube-proxy-config.yaml"
  wait_until kube-proxy 60 curl -fs http://127.0.0.1:10256/healthz

  sed -e "s|@IMAGE@|$(image_ref coredns)|" -e "s|@DNS_IP@|$DNS_IP|" "$E2E_DIR/manifests/coredns.yaml" \
    | kubectl apply -f - > "$LOG_DIR/coredns-apply.log"
  wait_until "CoreDNS" 180 kubectl -n kube-system rollout status deployment/coredns --timeout 1s
  ensure_volumes
}

# Storage: a pool of local PersistentVolumes (one folder each) in the default StorageClass
# "standard", and pv-recycler.sh returning released ones to the pool. Local volumes, unlike
# hostPath ones, get the pod's fsGroup; the folders are also 0777 so pods running as any
# user can write. Capacity is nominal: nothing enforces it.
ensure_volumes() {
  mkdir -p "$VOLUMES_DIR"
  local i manifest
  manifest=$(cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
EOF
)
  for i in $(seq -w 1 "$VOLUME_COUNT"); do
    mkdir -p "$VOLUMES_DIR/pv-$i"; chmod 0777 "$VOLUMES_DIR/pv-$i"
    manifest+=$(cat <<EOF

---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: kvorum-e2e-pv-$i
  labels: {kvorum.io/e2e-volume: "true"}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: standard
  local: {path: $VOLUMES_DIR/pv-$i}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}]
EOF
)
  done
  echo "$manifest" | kubectl apply -f - > "$LOG_DIR/volumes-apply.log"
  start_daemon pv-recycler "$E2E_DIR/bin/pv-recycler.sh" "$BIN_DIR/kubectl" "$ADMIN_KUBECONFIG" "$VOLUMES_DIR"
  log "storage: StorageClass standard (default), $VOLUME_COUNT local volumes of 10Gi in $VOLUMES_DIR"
}

# ---------------------------------------------------------------------------------------
# commands

cmd_up() {
  local start=$SECONDS
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$PIDS"
  ensure_packages
  ensure_pki
  ensure_node_address
  check_storage
  start_storage
  start_apiserver
  start_controller_manager
  start_scheduler
  if [[ "$CONTROL_PLANE_ONLY" == 1 ]]; then
    log "control plane only (KVORUM_E2E_CONTROL_PLANE_ONLY=1): no node, pods stay Pending"
  else
    start_node
  fi
  log "cluster up in $((SECONDS - start))s; use it with: export KUBECONFIG=$ADMIN_KUBECONFIG"
}

# Containers outlive containerd (their shims keep running), so they are removed first,
# then the daemons stop, then what the kubelet and CNI left on the host.
cmd_down() {
  if running containerd; then
    local ids
    ids=$(ctr --address "$CONTAINERD_SOCK" -n k8s.io containers ls -q 2>/dev/null || true)
    stop_daemon kubelet
    for id in $ids; do
      ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks kill -s KILL "$id" >/dev/null 2>&1 || true
    done
    for id in $ids; do
      ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks delete -f "$id" >/dev/null 2>&1 || true
      ctr --address "$CONTAINERD_SOCK" -n k8s.io containers rm "$id" >/dev/null 2>&1 || true
    done
    [[ -z "$ids" ]] || log "containers: removed $(echo "$ids" | wc -w)"
  fi
  stop_daemon kubelet
  if running kube-proxy || [[ -s "$RUN_DIR/kube-proxy-config.yaml" ]]; then
    stop_daemon kube-proxy
    [[ -x "$BIN_DIR/kube-proxy" ]] && "$BIN_DIR/kube-proxy" --cleanup >> "$LOG_DIR/kube-proxy.log" 2>&1 || true
  fi
  for c in pv-recycler dockerd containerd kube-scheduler kube-controller-manager kube-apiserver etcd "${KVORUM_MEMBERS[@]}"; do
    stop_daemon "$c"
  done
  # mounts the kubelet and containerd made under our folders (projected tokens, shm, rootfs)
  findmnt -rn -o TARGET | awk -v a="$RUN_DIR/" -v b="$CONTAINERD_ROOT/" -v c="$DOCKER_ROOT/" \
      'index($0, a) == 1 || index($0, b) == 1 || index($0, c) == 1' | sort -r \
    | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  # network namespaces of the removed pods (CNI DEL never ran for them)
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^cni-' || true); do ip netns delete "$ns" || true; done
  remove_kube_iptables_chains
  restore_sysctls
  ip link del "$POD_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_IF" 2>/dev/null || true
  # cluster state goes; the image stores and the binaries stay
  rm -rf "$RUN_DIR/etcd" "$RUN_DIR/kvorum" "$RUN_DIR/storage" "$KUBELET_DIR" "$RUN_DIR/cni" "$RUN_DIR/containerd/state" "$VOLUMES_DIR" "$PIDS"
  log "cluster down (binaries and images kept under $KVORUM_CACHE)"
}

# kube-proxy --cleanup leaves the kubelet's own chains (KUBE-FIREWALL, KUBE-KUBELET-CANARY,
# KUBE-IPTABLES-HINT); nothing but this cluster makes KUBE-* chains on this machine.
remove_kube_iptables_chains() {
  local ipt t rule chain
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for t in filter nat mangle; do
      { "$ipt-save" -t "$t" 2>/dev/null || true; } | awk '/^-A [A-Z]+ .*-j KUBE-/ && !/^-A KUBE-/' \
        | while read -r rule; do eval "$ipt -t $t -D ${rule#-A }" 2>/dev/null || true; done
      for chain in $("$ipt-save" -t "$t" 2>/dev/null | awk -F'[: ]' '/^:KUBE-/ {print $2}'); do
        "$ipt" -t "$t" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$ipt-save" -t "$t" 2>/dev/null | awk -F'[: ]' '/^:KUBE-/ {print $2}'); do
        "$ipt" -t "$t" -X "$chain" 2>/dev/null || true
      done
    done
  done
}

cmd_status() {
  local c p state rc=0
  local storage=(etcd)
  [[ "$(cat "$RUN_DIR/storage" 2>/dev/null)" == kvorum ]] && storage=("${KVORUM_MEMBERS[@]}")
  for c in "${storage[@]}" kube-apiserver kube-controller-manager kube-scheduler containerd dockerd kubelet kube-proxy pv-recycler; do
    p=$(pid_of "$c")
    if running "$c"; then state="running (pid $p)"; else state="stopped"; [[ "$c" =~ ^(etcd|kvorum-.|kube-apiserver)$ ]] && rc=1; fi
    printf '%-24s %s\n' "$c" "$state"
  done
  if running kube-apiserver; then
    echo
    kubectl get nodes -o wide 2>&1 || true
    echo
    kubectl get pods -A -o wide 2>&1 || true
  fi
  echo
  echo "logs: $LOG_DIR    kubeconfig: $ADMIN_KUBECONFIG"
  return $rc
}

# One function, read whole before it runs: editing this file while `up` runs is harmless.
main() {
  case "${1:-}" in
    up)
      if [[ "${2:-}" == --storage && -n "${3:-}" ]]; then STORAGE=$3
      elif [[ -n "${2:-}" ]]; then die "usage: e2e/cluster.sh up [--storage etcd|kvorum]"
      fi
      cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) echo "export KUBECONFIG=$ADMIN_KUBECONFIG" ;;
    *) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 2 ;;
  esac
}

main "$@"; exit $?
