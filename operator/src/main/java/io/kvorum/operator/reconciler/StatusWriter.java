package io.kvorum.operator.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.KVClusterStatus;

/**
 * Writes a new status. The operator's memory (status.upgrade) must be visible to the very next
 * reconcile, which may be triggered by the pod it just deleted before the informer saw the
 * status change; so the default writer replaces the status (PUT /status, optimistic locking on the resource
 * version: the operator computes the whole status anyway) and puts
 * the result into JOSDK's cache (a conflict fails the reconcile, which is retried on fresh data).
 */
@FunctionalInterface
public interface StatusWriter {

  void write(KVCluster primary, KVClusterStatus status, Context<KVCluster> context);

  StatusWriter REPLACE_AND_CACHE = (primary, status, context) ->
      PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(primary, context, p -> {
        p.setStatus(status);
        return p;
      });
}
