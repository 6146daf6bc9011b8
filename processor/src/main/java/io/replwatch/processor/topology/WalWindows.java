package io.replwatch.processor.topology;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.WalThroughput;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

/**
 * Stage: WAL throughput of a primary in tumbling windows (event time). Each primary sample adds the bytes since
 * the previous sample on the same timeline to the open window of every size; a window is published once its end
 * plus the grace is behind the node's event time (by a later sample, or by the staleness punctuator for a
 * primary that went silent).
 */
final class WalWindows {

    private final TopologySettings settings;
    private final Outputs out;

    WalWindows(final TopologySettings settings, final Outputs out) {
        this.settings = settings;
        this.out = out;
    }

    /** Adds a sample of the cluster's current primary, then publishes the windows it closed. */
    void onPrimarySample(final ReplicationSample s, final long t, final NodeState ns) {
        final long lsn = s.getWalLsn();
        final Integer tl = s.getTimeline();
        long delta = 0;
        if (ns.walPrevLsn != null && Objects.equals(ns.walPrevTimeline, tl)) {
            // A position going back or a new timeline starts afresh: never a negative rate.
            delta = Lsn.bytesBehind(lsn, ns.walPrevLsn);
        }
        ns.walPrevLsn = lsn;
        ns.walPrevTimeline = tl;
        for (final Duration size : settings.walWindows()) {
            final long sz = size.toMillis();
            final long start = t - Math.floorMod(t, sz);
            final NodeState.WalWindow w = ns.walWindows.computeIfAbsent(sz + "@" + start, x -> {
                final NodeState.WalWindow nw = new NodeState.WalWindow();
                nw.start = start;
                return nw;
            });
            w.bytes += delta;
            w.samples++;
            w.timeline = tl;
        }
        closeDue(ns, t);
    }

    /** Publishes and forgets every window of the node whose end plus grace is at or behind {@code now}. */
    void closeDue(final NodeState ns, final long now) {
        final Iterator<Map.Entry<String, NodeState.WalWindow>> it = ns.walWindows.entrySet().iterator();
        while (it.hasNext()) {
            final Map.Entry<String, NodeState.WalWindow> e = it.next();
            final long size = Long.parseLong(e.getKey().substring(0, e.getKey().indexOf('@')));
            final NodeState.WalWindow w = e.getValue();
            final long end = w.start + size;
            if (end + settings.grace().toMillis() <= now) {
                out.walThroughput(ns.cluster, WalThroughput.newBuilder()
                        .setCluster(ns.cluster)
                        .setNode(ns.node)
                        .setWindowStart(Instant.ofEpochMilli(w.start))
                        .setWindowEnd(Instant.ofEpochMilli(end))
                        .setWindowSizeMs(size)
                        .setBytes(w.bytes)
                        .setBytesPerSecond(w.bytes * 1000.0 / size)
                        .setSamples(w.samples)
                        .setTimeline(w.timeline)
                        .build(), end);
                it.remove();
            }
        }
    }
}
