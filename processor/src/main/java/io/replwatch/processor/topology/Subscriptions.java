package io.replwatch.processor.topology;

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
 * running, the errors within the window, how long since the publisher was last heard from.
 */
final class Subscriptions {

    private Subscriptions() {
    }

    static void onSample(final ReplicationSample s, final long t, final NodeState ns, final long windowMs) {
        if (!Samples.isOk(s)) {
            return;
        }
        final Set<String> seen = new HashSet<>();
        for (final SubscriptionRow r : s.getSubscriptions()) {
            if (r.getApplyErrorCount() == null && r.getSyncErrorCount() == null) {
                continue;
            }
            seen.add(r.getName());
            final long total = (r.getApplyErrorCount() == null ? 0 : r.getApplyErrorCount())
                    + (r.getSyncErrorCount() == null ? 0 : r.getSyncErrorCount());
            final List<NodeState.ConflictPoint> pts = ns.subscriptionErrors.computeIfAbsent(r.getName(), k -> new ArrayList<>());
            if (!pts.isEmpty() && total < pts.get(pts.size() - 1).total()) {
                pts.clear(); // pg_stat_reset_subscription_stats
            }
            if (pts.isEmpty() || pts.get(pts.size() - 1).total() != total) {
                pts.add(new NodeState.ConflictPoint(t, total));
            }
            while (pts.size() > 1 && t - pts.get(1).at() > windowMs) {
                pts.remove(0);
            }
        }
        if (ns.subscriptionErrors.size() != seen.size()) {
            ns.subscriptionErrors.keySet().retainAll(seen);
        }
    }

    static List<NodeView.SubscriptionView> views(final ReplicationSample s, final NodeState ns, final long t) {
        if (s.getSubscriptions().isEmpty()) {
            return List.of();
        }
        final List<NodeView.SubscriptionView> out = new ArrayList<>();
        for (final SubscriptionRow r : s.getSubscriptions()) {
            final List<NodeState.ConflictPoint> pts = ns.subscriptionErrors.get(r.getName());
            final long errors = pts == null || pts.size() < 2 ? 0
                    : Math.max(0, pts.get(pts.size() - 1).total() - pts.get(0).total());
            out.add(new NodeView.SubscriptionView(r.getName(), r.getEnabled(), r.getApplyPid() != null, errors,
                    r.getApplyErrorCount(), r.getSyncErrorCount(), r.getLastMsgReceiptAt() == null ? null
                    : Math.max(0, t - r.getLastMsgReceiptAt().toEpochMilli()), r.getSlotName()));
        }
        return out;
    }
}
