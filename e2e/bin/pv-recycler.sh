#!/usr/bin/env bash
# Returns released local volumes of the e2e cluster to the pool, as the static local volume
# provisioner does on real clusters: when a claim is deleted, its PV becomes Released; this
# empties the PV's folder and drops the claim reference, so the PV is Available again.
# Started and stopped by cluster.sh (a daemon: it runs until stopped). Arguments:
#   pv-recycler.sh <kubectl> <kubeconfig> <volumes folder>
set -uo pipefail
KUBECTL=$1 KUBECONFIG_FILE=$2 VOLUMES_DIR=$3
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }

log "recycling Released PVs labelled kvorum.io/e2e-volume, folders under $VOLUMES_DIR"
while true; do
  released=$(k get pv -l kvorum.io/e2e-volume \
    -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name} {.spec.local.path}{"\n"}{end}' 2>/dev/null)
  while read -r pv path; do
    [[ -n "$pv" ]] || continue
    # only ever empty a folder of ours
    if [[ "$path" != "$VOLUMES_DIR"/* || ! -d "$path" ]]; then log "skip $pv: path '$path' is not one of ours"; continue; fi
    find "$path" -mindepth 1 -delete
    chmod 0777 "$path"
    if k patch pv "$pv" --type json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null; then
      log "recycled $pv ($path)"
    fi
  done <<< "$released"
  sleep 3
done
