package io.replwatch.processor.topology;

import io.replwatch.avro.LagRate;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.SubscriptionRow;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.state.NodeState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Stage, on a subscriber's samples: each subscription's apply and table sync error totals where they changed, over
 * the conflicts window (pg_stat_subscription_stats, 15+), and the view the rules judge: enabled, its apply worker
 * running, the errors within the window, how long since the publisher was last heard from, and, when replwatch
 * watches the publisher too, its slot's lag there ({@link Publishers}).
 */
final class Subscriptions {

    private Subscriptions() {
    }

    static void onSample(final ReplicationSample s, final long t, final NodeState ns, final long windowMs) {
        if (!Samples.isOk(s)) {
            return;
        }
        if (s.getSubscriptions().isEmpty() && ns.subscriptionErrors.isEmpty()) {
            return; // most nodes: nothing allocated per sample
        }
        final Set<String> seen = new HashSet<>();
        for (final SubscriptionRow r : s.getSubscriptions()) {
            if (r.getApplyErrorCount() == null && r.getSyncErrorCount() == null) {
                continue;
            }
            seen.add(r.getName());
            final long total = (r.getApplyErrorCount() == null ? 0 : r.getApplyErrorCount())
                    + (r.getSyncErrorCount() == null ? 0 : r.getSyncErrorCount());
            StandbyLag.addCount(ns.subscriptionErrors.computeIfAbsent(r.getName(), k -> new ArrayList<>()), t, total,
                    windowMs);
        }
        if (ns.subscriptionErrors.size() != seen.size()) {
            ns.subscriptionErrors.keySet().retainAll(seen);
        }
    }

    static List<NodeView.SubscriptionView> views(final ReplicationSample s, final NodeState ns, final long t,
                                                 final Publishers publishers) {
        if (s.getSubscriptions().isEmpty()) {
            return List.of();
        }
        final List<NodeView.SubscriptionView> out = new ArrayList<>();
        for (final SubscriptionRow r : s.getSubscriptions()) {
            final long errors = StandbyLag.countInWindow(ns.subscriptionErrors.get(r.getName()));
            final LagRate p = publishers.match(s.getCluster(), r, t);
            out.add(new NodeView.SubscriptionView(r.getName(), r.getEnabled(), r.getApplyPid() != null, errors,
                    r.getApplyErrorCount(), r.getSyncErrorCount(), r.getLastMsgReceiptAt() == null ? null
                    : Math.max(0, t - r.getLastMsgReceiptAt().toEpochMilli()), r.getSlotName(),
                    p == null ? null : new NodeView.Publisher(p.getCluster(), p.getNode(), p.getSlot(),
                            p.getReplayLagBytes(), p.getTimeLagMs(), p.getTrend(), p.getCatchUpEtaMs(),
                            p.getAt().toEpochMilli())));
        }
        return out;
    }
}
