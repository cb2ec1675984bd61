package io.kvorum.robustness.fuzz;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * Skips a fuzzer, saying why, when its target cannot run here (no kvorum.jar, no etcd binary),
 * as the scenario ITs skip their Kvorum variants; without it every try would fail to connect.
 */
public final class NeedsFuzzTarget implements SkipExecutionHook {

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        String reason = FuzzedNode.target().unavailableReason();
        return reason == null ? SkipResult.doNotSkip() : SkipResult.skip(reason);
    }

    /** For the peer-port fuzzer: the peer protocol is Kvorum's own, etcd speaks another. */
    public static final class KvorumOnly implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            if (FuzzedNode.target() != io.kvorum.robustness.scenario.Target.KVORUM) {
                return SkipResult.skip("the peer protocol is Kvorum's; -Dfuzz.target=" + FuzzedNode.target() + " speaks another");
            }
            return new NeedsFuzzTarget().shouldBeSkipped(context);
        }
    }
}
