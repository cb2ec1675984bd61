#!/usr/bin/env bash
# What the API server asks of its storage, checked through kubectl on the running local
# cluster: meant for `e2e/cluster.sh up --storage kvorum` (the API server on a Kvorum
# cluster), and just as valid on Debian's etcd, which makes it a comparison.
#
#   e2e/bin/storage-check.sh            against $KVORUM_CACHE/run/admin.kubeconfig
#
# Each check names the storage call it leans on. Ends with "N passed, N failed" and exits
# non-zero when any failed; the namespace it works in (kvorum-storage) is removed at the end.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=e2e/bin/lib.sh
source "$E2E_DIR/bin/lib.sh"

NS=kvorum-storage
export KUBECONFIG=${KUBECONFIG:-$RUN_DIR/admin.kubeconfig}
kubectl() { timeout 120 "$BIN_DIR/kubectl" "$@"; }
passed=0 failed=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

check() {
  local what=$1; shift
  local start=$SECONDS out
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); log "PASS $what ($((SECONDS - start))s)"
  else
    failed=$((failed + 1)); log "FAIL $what ($((SECONDS - start))s): $(echo "$out" | tail -5)"
  fi
}

# poll <seconds> <command...>: until the command succeeds, once a second
poll() {
  local limit=$1 start=$SECONDS; shift
  until "$@" >/dev/null 2>&1; do
    (( SECONDS - start < limit )) || { echo "not within ${limit}s: $*"; "$@"; return 1; }
    sleep 1
  done
}

storage_ready() { kubectl get --raw '/readyz/etcd'; }

# Range + Txn(create): a namespace and a ConfigMap in it, read back.
create_and_get() {
  kubectl create namespace "$NS" >/dev/null &&
  kubectl -n "$NS" create configmap first --from-literal=k=v1 >/dev/null &&
  [[ "$(kubectl -n "$NS" get configmap first -o jsonpath='{.data.k}')" == v1 ]]
}

# Txn(compare mod_revision): an update with a stale resourceVersion is refused with a Conflict.
stale_update_conflicts() {
  local rv out
  rv=$(kubectl -n "$NS" get configmap first -o jsonpath='{.metadata.resourceVersion}')
  kubectl -n "$NS" patch configmap first -p '{"data":{"k":"v2"}}' >/dev/null || return 1
  out=$(kubectl -n "$NS" get configmap first -o json | sed "s/\"resourceVersion\": \"[0-9]*\"/\"resourceVersion\": \"$rv\"/" \
    | kubectl replace -f - 2>&1) && { echo "stale replace accepted: $out"; return 1; }
  [[ "$out" == *"the object has been modified"* ]] || { echo "unexpected error: $out"; return 1; }
}

# Watch from a resourceVersion: ADDED, MODIFIED, DELETED in order, none missing.
watch_sees_every_change() {
  local rv events
  rv=$(kubectl -n "$NS" get configmaps -o jsonpath='{.metadata.resourceVersion}')
  kubectl get --raw "/api/v1/namespaces/$NS/configmaps?watch=1&resourceVersion=$rv&timeoutSeconds=30" \
    > "$WORK/watch" 2>&1 &
  local watcher=$!
  kubectl -n "$NS" create configmap watched --from-literal=n=1 >/dev/null &&
  kubectl -n "$NS" patch configmap watched -p '{"data":{"n":"2"}}' >/dev/null &&
  kubectl -n "$NS" delete configmap watched >/dev/null
  for _ in $(seq 1 20); do [[ $(grep -c '"name":"watched"' "$WORK/watch") -ge 3 ]] && break; sleep 1; done
  kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null
  events=$(grep '"name":"watched"' "$WORK/watch" | sed 's/^{"type":"\([A-Z]*\)".*/\1/' | tr '\n' ' ')
  [[ "$events" == "ADDED MODIFIED DELETED " ]] || { echo "events for configmap/watched: '$events'"; cat "$WORK/watch"; return 1; }
}

# Range with limit and continue: 40 objects listed 7 at a time.
paginated_list() {
  local i n
  for i in $(seq 1 40); do echo "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"page-$i\"}}"; done \
    | kubectl -n "$NS" apply -f - >/dev/null || return 1
  n=$(kubectl -n "$NS" get configmaps --chunk-size=7 -o name | grep -c '/page-')
  [[ "$n" == 40 ]] || { echo "paginated list returned $n of 40"; return 1; }
}

# Server-side apply twice (managedFields round-trip through storage), then a delete.
server_side_apply() {
  local cm='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"a":"1"}}'
  echo "$cm" | kubectl -n "$NS" apply --server-side -f - >/dev/null &&
  echo "${cm/\"1\"/\"2\"}" | kubectl -n "$NS" apply --server-side -f - >/dev/null &&
  [[ "$(kubectl -n "$NS" get configmap applied -o jsonpath='{.data.a}')" == 2 ]] &&
  kubectl -n "$NS" delete configmap applied >/dev/null &&
  ! kubectl -n "$NS" get configmap applied >/dev/null 2>&1
}

# The Deployment controller's chain: Deployment -> ReplicaSet -> Pods, all through storage
# (and, on a cluster with a node, the pods run).
deployment_rolls_out() {
  kubectl -n "$NS" create deployment web --image="$("$E2E_DIR/bin/build-images.sh" --ref pause)" --replicas=2 >/dev/null &&
  kubectl -n "$NS" patch deployment web --type json \
    -p '[{"op":"add","path":"/spec/template/spec/containers/0/imagePullPolicy","value":"Never"}]' >/dev/null || return 1
  if [[ "${KVORUM_E2E_CONTROL_PLANE_ONLY:-0}" == 1 ]]; then
    poll 120 bash -c "[[ \$('$BIN_DIR/kubectl' -n $NS get pods -l app=web -o name | wc -l) -ge 2 ]]"
  else
    kubectl -n "$NS" rollout status deployment/web --timeout=110s
  fi
}

# A CRD (the KVCluster's), a custom resource stored and read back, one refused by its schema.
custom_resources() {
  # polled, not `kubectl wait`: that fails at once while the new CRD's status is still empty
  kubectl apply --server-side --force-conflicts -f "$E2E_DIR/../helm/kvorum-operator/crds" >/dev/null &&
  poll 60 bash -c "[[ \$('$BIN_DIR/kubectl' get crd kvclusters.kvorum.io -o jsonpath='{.status.conditions[?(@.type==\"Established\")].status}') == True ]]" || return 1
  printf 'apiVersion: kvorum.io/v1alpha1\nkind: KVCluster\nmetadata: {name: stored}\nspec: {replicas: 3, version: "1.0.0"}\n' \
    | kubectl -n "$NS" apply -f - >/dev/null || return 1
  [[ "$(kubectl -n "$NS" get kvcluster stored -o jsonpath='{.spec.replicas}')" == 3 ]] || return 1
  ! printf 'apiVersion: kvorum.io/v1alpha1\nkind: KVCluster\nmetadata: {name: refused}\nspec: {replicas: 4, version: "1.0.0"}\n' \
    | kubectl -n "$NS" apply -f - >/dev/null 2>&1
}

# The API server's identity Lease, renewed every 10 s: updates keep landing.
lease_renewed() {
  local lease first
  lease=$(kubectl -n kube-system get lease -l apiserver.kubernetes.io/identity=kube-apiserver -o name | head -1)
  [[ -n "$lease" ]] || { echo "no kube-apiserver identity lease in kube-system"; return 1; }
  first=$(kubectl -n kube-system get "$lease" -o jsonpath='{.spec.renewTime}') || return 1
  poll 40 bash -c "[[ \$('$BIN_DIR/kubectl' -n kube-system get $lease -o jsonpath='{.spec.renewTime}') != '$first' ]]"
}

# Delete with a namespace's finalizer: the namespace controller empties it, then it is gone.
namespace_deleted() {
  kubectl delete namespace "$NS" --wait=false >/dev/null &&
  poll 110 bash -c "! '$BIN_DIR/kubectl' get namespace $NS"
}

start=$SECONDS
kubectl delete namespace "$NS" --ignore-not-found --timeout=110s >/dev/null 2>&1
check "storage ready (/readyz/etcd)" storage_ready
check "create and get (namespace, ConfigMap)" create_and_get
check "stale update refused with a Conflict" stale_update_conflicts
check "watch from a resourceVersion: ADDED, MODIFIED, DELETED" watch_sees_every_change
check "paginated list (40 objects, 7 per page)" paginated_list
check "server-side apply, update, delete" server_side_apply
check "Deployment -> ReplicaSet -> Pods" deployment_rolls_out
check "CRD, custom resource stored, schema refusal" custom_resources
check "the API server's identity Lease renewed" lease_renewed
check "namespace deleted with its content" namespace_deleted
log "storage checks done in $((SECONDS - start))s"
echo "$passed passed, $failed failed"
(( failed == 0 ))
