#!/usr/bin/env bash
# Smoke check of the local cluster: what the *E2E tests will rely on, checked the way a user
# would, with kubectl. Brings the cluster up if needed, leaves it running.
#
#   e2e/bin/smoke.sh
#
# Checks: the node is Ready; a pod of the pause image runs; a Debian pod runs and execs;
# cluster DNS answers for Services; a Service routes to a pod (kube-proxy); a pod reaches
# the API server through the kubernetes Service; a PVC binds to a local volume that a
# non-root pod can write. Ends with "N passed, N failed".
set -uo pipefail

E2E_DIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=e2e/bin/lib.sh
source "$E2E_DIR/bin/lib.sh"

NS=kvorum-smoke
export KUBECONFIG="$RUN_DIR/admin.kubeconfig"
kubectl() { "$BIN_DIR/kubectl" "$@"; }
passed=0 failed=0

check() {
  local what=$1; shift
  local start=$SECONDS out
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); log "PASS $what ($((SECONDS - start))s)"
  else
    failed=$((failed + 1)); log "FAIL $what ($((SECONDS - start))s): $(echo "$out" | tail -5)"
  fi
}

# in_pod <pod> <bash script>: runs a script in a Debian pod
in_pod() { kubectl -n "$NS" exec "$1" -- bash -c "$2"; }

# resolves <pod> <name> <expected address>
resolves() {
  local got; got=$(in_pod "$1" "getent hosts $2" | awk '{print $1}')
  [[ "$got" == "$3" ]] || { echo "$2 resolved to '$got', expected $3"; return 1; }
}

# http_get <pod> <host> <port>: a GET with bash's /dev/tcp (minbase has no curl); prints the status line
http_get() {
  in_pod "$1" "exec 3<>/dev/tcp/$2/$3 && printf 'GET / HTTP/1.0\r\nHost: $2\r\n\r\n' >&3 && timeout 5 head -1 <&3"
}

web_answers_through_service() {
  local status; status=$(http_get debian web 80)
  [[ "$status" == *" 200 "* ]] || { echo "GET http://web/ answered '$status'"; return 1; }
}

volume_holds_probe() {
  local pv path
  pv=$(kubectl -n "$NS" get pvc data -o jsonpath='{.spec.volumeName}')
  path=$(kubectl get pv "$pv" -o jsonpath='{.spec.local.path}')
  [[ "$(cat "$path/probe" 2>&1)" == kvorum ]] || { echo "PV $pv ($path) has no probe file"; return 1; }
}

start=$SECONDS
"$E2E_DIR/cluster.sh" up || { echo "0 passed, 1 failed"; exit 1; }   # idempotent: seconds when up
"$E2E_DIR/bin/build-images.sh" --load pause debian java || { echo "0 passed, 1 failed"; exit 1; }

PAUSE=$("$E2E_DIR/bin/build-images.sh" --ref pause)
DEBIAN=$("$E2E_DIR/bin/build-images.sh" --ref debian)
JAVA=$("$E2E_DIR/bin/build-images.sh" --ref java)

kubectl delete namespace "$NS" --ignore-not-found --wait=true --timeout 120s >/dev/null
kubectl create namespace "$NS" >/dev/null
kubectl -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: pause}
spec:
  containers: [{name: pause, image: "$PAUSE", imagePullPolicy: Never}]
---
apiVersion: v1
kind: Pod
metadata: {name: debian}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: debian, image: "$DEBIAN", imagePullPolicy: Never, command: [sleep, "600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: web
    image: "$JAVA"
    imagePullPolicy: Never
    command: [jwebserver, -b, 0.0.0.0, -p, "8000", -d, /opt/java]
    readinessProbe: {tcpSocket: {port: 8000}, periodSeconds: 1}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001}
  containers:
  - name: writer
    image: "$DEBIAN"
    imagePullPolicy: Never
    command: [bash, -c, "echo kvorum > /data/probe && sleep 600"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8000}]
EOF

check "node is Ready" kubectl wait --for=condition=Ready node --all --timeout 60s
check "pause pod runs" kubectl -n "$NS" wait --for=condition=Ready pod/pause --timeout 120s
check "debian pod runs" kubectl -n "$NS" wait --for=condition=Ready pod/debian --timeout 120s
check "exec in a pod" in_pod debian 'grep -q bookworm /etc/os-release'
check "DNS: kubernetes.default" resolves debian kubernetes.default.svc.cluster.local 10.96.0.1
check "DNS: search path (kube-dns.kube-system)" resolves debian kube-dns.kube-system 10.96.0.10
check "java pod serves HTTP" kubectl -n "$NS" wait --for=condition=Ready pod/web --timeout 180s
web_ip=$(kubectl -n "$NS" get svc web -o jsonpath='{.spec.clusterIP}')
check "DNS: web Service" resolves debian "web.$NS.svc.cluster.local" "$web_ip"
check "Service routes to a pod (kube-proxy)" web_answers_through_service
check "pod reaches the API server via the kubernetes Service" \
  in_pod debian 'timeout 5 bash -c "exec 3<>/dev/tcp/kubernetes.default/443"'

check "a PVC binds; a non-root pod writes to it" kubectl -n "$NS" wait --for=condition=Ready pod/writer --timeout 120s
check "the written file is on the local volume" volume_holds_probe

kubectl delete namespace "$NS" --wait=false >/dev/null
log "smoke checks took $((SECONDS - start))s"
echo "$passed passed, $failed failed"
[[ "$failed" == 0 ]]
