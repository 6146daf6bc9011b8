package io.replwatch.processor.topology;

import io.replwatch.avro.LagRate;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.rollup.RollupAcc;
import io.replwatch.processor.rollup.Rollups;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;

/**
 * Stage: hourly and daily capacity rollups (the lake's feed). Folds the sample into the node's open hour and day,
 * publishes the node's closed periods and merges them into the cluster's, and publishes the cluster's once its
 * nodes have had the grace to close theirs.
 */
final class RollupStage {

    private final TopologySettings settings;
    private final Outputs out;

    RollupStage(final TopologySettings settings, final Outputs out) {
        this.settings = settings;
        this.out = out;
    }

    /** Returns whether the cluster's state changed. {@code lag} is the sample's lag figures, if a standby's. */
    boolean onSample(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs, final LagRate lag) {
        return onSample(s, t, ns, cs, lag, java.util.List.of());
    }

    /** As above; {@code logical}: a primary's logical slots' figures from this sample. */
    boolean onSample(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs, final LagRate lag,
                     final java.util.List<LagRate> logical) {
        Rollups.add(ns.rollup, s, t, lag, logical);
        final long grace = settings.grace().toMillis();
        boolean changed = false;
        for (final RollupAcc a : Rollups.closeNode(ns.rollup, t, grace)) {
            out.rollup(s.getCluster(), Rollups.record(s.getCluster(), s.getNode(), a), a.end);
            cs.rollups.computeIfAbsent(a.period + "@" + a.start, k -> RollupAcc.open(a.period, a.start, a.end)).merge(a);
            changed = true;
        }
        for (final RollupAcc a : Rollups.closeCluster(cs.rollups, t, grace)) {
            out.rollup(s.getCluster(), Rollups.record(s.getCluster(), null, a), a.end);
            changed = true;
        }
        return changed;
    }
}
