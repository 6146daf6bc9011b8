package io.replwatch.processor.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.WalThroughput;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.topology.ProcessorMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Replication signals for Prometheus, from the live view of the nodes this processor instance owns (the nodes of
 * the partitions its stream threads hold): health state, lag per stage, true time lag, trend and catch-up ETA,
 * timeline and last sample, each primary's WAL rate, each slot's retained WAL, the xmin horizon's age. Built at
 * scrape time from what the topology last published; a node leaves when it is forgotten or its partition moves to
 * another instance (which then exports it), so series stay bounded by the fleet. Every instance must be scraped;
 * together they export each node once.
 */
public final class ReplicationGauges implements MultiCollector, ProcessorMetrics {

    /** What is known of one node. Written by a stream thread, read by the scrape: each field is replaced whole. */
    static final class Node {
        volatile String cluster;
        volatile String node;
        volatile String role;
        volatile HealthState state;
        volatile Integer timeline;
        volatile Long lastSampleAt;
        volatile LagRate lag;
        volatile Double walBytesPerSecond;
        /** The window size of the rate above: the smallest configured window wins (wal_windows: [10s, 1m, 1h]). */
        volatile long walWindowMs = Long.MAX_VALUE;
        volatile List<NodeView.SlotView> slots = List.of();
        volatile NodeView.XminHolder horizon;
        volatile List<NodeView.LogicalSlot> logicalSlots = List.of();
        volatile List<NodeView.SubscriptionView> subscriptions = List.of();
    }

    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final Runnable clockSkewed;
    private final Runnable collectorChanged;
    private final java.util.function.LongConsumer samplesMissing;

    /** {@code clockSkewed}: what to count when a sample's clock is off (CLOCK_SKEW). */
    public ReplicationGauges(final Runnable clockSkewed) {
        this(clockSkewed, () -> { }, n -> { });
    }

    /**
     * @param collectorChanged what to count when a node's samples come from another collector (a takeover)
     * @param samplesMissing what to add when a collector's sequence numbers for a node skip (lost samples)
     */
    public ReplicationGauges(final Runnable clockSkewed, final Runnable collectorChanged,
                             final java.util.function.LongConsumer samplesMissing) {
        this.clockSkewed = clockSkewed;
        this.collectorChanged = collectorChanged;
        this.samplesMissing = samplesMissing;
    }

    @Override
    public void clockSkewed() {
        clockSkewed.run();
    }

    @Override
    public void collectorChanged() {
        collectorChanged.run();
    }

    @Override
    public void samplesMissing(final long count) {
        samplesMissing.accept(count);
    }

    private Node node(final String key, final String cluster, final String node) {
        final Node n = nodes.computeIfAbsent(key, k -> new Node());
        n.cluster = cluster;
        n.node = node;
        return n;
    }

    @Override
    public void nodeHealth(final String nodeKey, final NodeHealth h) {
        if (h == null) {
            nodes.remove(nodeKey);
            return;
        }
        final Node n = node(nodeKey, h.getCluster(), h.getNode());
        n.role = h.getRole();
        n.state = h.getState();
        n.timeline = h.getTimeline();
        n.lastSampleAt = h.getLastSampleAt() == null ? null : h.getLastSampleAt().toEpochMilli();
    }

    @Override
    public void lagRate(final String nodeKey, final LagRate l) {
        node(nodeKey, l.getCluster(), l.getNode()).lag = l;
    }

    @Override
    public void walThroughput(final String nodeKey, final WalThroughput w) {
        final Node n = node(nodeKey, w.getCluster(), w.getNode());
        // Every window closes into this gauge; the smallest one is the current rate, a larger one would overwrite it
        // with an average over an hour.
        if (w.getWindowSizeMs() <= n.walWindowMs) {
            n.walWindowMs = w.getWindowSizeMs();
            n.walBytesPerSecond = w.getBytesPerSecond();
        }
    }

    @Override
    public void nodeView(final String nodeKey, final NodeView v) {
        final Node n = node(nodeKey, v.cluster(), v.node());
        if (v.hasData()) {
            n.slots = v.slots() == null ? List.of() : v.slots();
            n.horizon = v.horizon();
            n.logicalSlots = v.logicalSlots() == null ? List.of() : v.logicalSlots();
            n.subscriptions = v.subscriptions() == null ? List.of() : v.subscriptions();
            if (!v.isPrimary()) {
                n.walBytesPerSecond = null;
            }
            if (v.isPrimary()) {
                n.lag = null;
            }
        }
    }

    @Override
    public void released(final String nodeKey) {
        nodes.remove(nodeKey);
    }

    /** The nodes exported now (for tests and the health page). */
    int size() {
        return nodes.size();
    }

    @Override
    public MetricSnapshots collect() {
        final Gauge state = new Gauge("replwatch_node_state",
                "1 for the node's current health state (HEALTHY, WARNING, CRITICAL, DOWN, UNKNOWN), 0 for the others");
        final Gauge timeline = new Gauge("replwatch_node_timeline", "The node's timeline (a failover raises it)");
        final Gauge lastSample = new Gauge("replwatch_node_last_sample_timestamp_seconds",
                "When the node's last sample was taken (Unix time)");
        final Gauge lagBytes = new Gauge("replwatch_standby_lag_bytes",
                "Bytes a standby is behind its primary's current WAL position, per stage (sent, write, flush, receive, replay)");
        final Gauge timeLag = new Gauge("replwatch_standby_time_lag_seconds",
                "True time lag: how long ago the primary wrote what the standby has replayed (0 when caught up, also on an idle primary)");
        final Gauge trend = new Gauge("replwatch_standby_trend",
                "1 for the standby's current lag trend (OK, CATCHING_UP, FALLING_BEHIND, STALLED, UNKNOWN), 0 for the others");
        final Gauge eta = new Gauge("replwatch_standby_catch_up_eta_seconds",
                "When catching up: the estimated time until the standby has caught up");
        final Gauge wal = new Gauge("replwatch_primary_wal_bytes_per_second",
                "WAL the primary wrote per second over the last closed window of the smallest size configured (wal_windows)");
        final Gauge slot = new Gauge("replwatch_slot_retained_bytes", "WAL a replication slot holds back on its node");
        final Gauge logicalLag = new Gauge("replwatch_logical_slot_lag_bytes",
                "Bytes a logical slot's consumer (confirmed_flush_lsn) is behind its primary's current position");
        final Gauge logicalTrend = new Gauge("replwatch_logical_slot_trend",
                "1 for the logical slot consumer's current trend (OK, CATCHING_UP, FALLING_BEHIND, STALLED, UNKNOWN)");
        final Gauge logicalTimeLag = new Gauge("replwatch_logical_slot_time_lag_seconds",
                "True time lag of a logical slot's consumer: how long ago the primary's WAL was at its confirmed position");
        final Gauge subscriptionLag = new Gauge("replwatch_subscription_time_lag_seconds",
                "True time lag of a subscription, read on its publisher's slot (when replwatch watches the publisher)");
        final Gauge horizon = new Gauge("replwatch_xmin_horizon_age_transactions",
                "Age of the node's oldest xmin in transactions, labelled with the kind of its holder");
        for (final Node n : nodes.values()) {
            final String cluster = n.cluster;
            final String name = n.node;
            final String role = n.role == null ? "" : n.role;
            if (cluster == null || name == null) {
                continue;
            }
            if (n.state != null) {
                for (final HealthState s : HealthState.values()) {
                    state.add(n.state == s ? 1 : 0, "cluster", cluster, "node", name, "role", role, "state", s.name());
                }
            }
            if (n.timeline != null) {
                timeline.add(n.timeline, "cluster", cluster, "node", name, "role", role);
            }
            if (n.lastSampleAt != null) {
                lastSample.add(n.lastSampleAt / 1000.0, "cluster", cluster, "node", name, "role", role);
            }
            final LagRate l = n.lag;
            if (l != null) {
                stage(lagBytes, cluster, name, "sent", l.getSentLagBytes());
                stage(lagBytes, cluster, name, "write", l.getWriteLagBytes());
                stage(lagBytes, cluster, name, "flush", l.getFlushLagBytes());
                stage(lagBytes, cluster, name, "receive", l.getReceiveLagBytes());
                stage(lagBytes, cluster, name, "replay", l.getReplayLagBytes());
                if (l.getTimeLagMs() != null) {
                    timeLag.add(l.getTimeLagMs() / 1000.0, "cluster", cluster, "node", name);
                }
                if (l.getTrend() != null) {
                    for (final LagTrend t : LagTrend.values()) {
                        trend.add(l.getTrend() == t ? 1 : 0, "cluster", cluster, "node", name, "trend", t.name());
                    }
                }
                if (l.getCatchUpEtaMs() != null) {
                    eta.add(l.getCatchUpEtaMs() / 1000.0, "cluster", cluster, "node", name);
                }
            }
            if (n.walBytesPerSecond != null) {
                wal.add(n.walBytesPerSecond, "cluster", cluster, "node", name);
            }
            for (final NodeView.SlotView s : n.slots) {
                if (s.retainedBytes() != null) {
                    slot.add(s.retainedBytes(), "cluster", cluster, "node", name, "slot", s.name(),
                            "active", Boolean.toString(s.active()));
                }
            }
            for (final NodeView.SubscriptionView sv : n.subscriptions) {
                if (sv.publisher() != null && sv.publisher().timeLagMs() != null) {
                    subscriptionLag.add(sv.publisher().timeLagMs() / 1000.0, "cluster", cluster, "node", name,
                            "subscription", sv.name());
                }
            }
            for (final NodeView.LogicalSlot ls : n.logicalSlots) {
                logicalLag.add(ls.lagBytes(), "cluster", cluster, "node", name, "slot", ls.name());
                if (ls.timeLagMs() != null) {
                    logicalTimeLag.add(ls.timeLagMs() / 1000.0, "cluster", cluster, "node", name, "slot", ls.name());
                }
                if (ls.trend() != null) {
                    for (final LagTrend t : LagTrend.values()) {
                        logicalTrend.add(ls.trend() == t ? 1 : 0, "cluster", cluster, "node", name, "slot", ls.name(),
                                "trend", t.name());
                    }
                }
            }
            final NodeView.XminHolder h = n.horizon;
            if (h != null) {
                horizon.add(h.ageXids(), "cluster", cluster, "node", name, "holder", h.kind().name().toLowerCase());
            }
        }
        final List<MetricSnapshot> out = new ArrayList<>();
        for (final Gauge g : List.of(state, timeline, lastSample, lagBytes, timeLag, trend, eta, wal, slot, logicalLag,
                logicalTrend, logicalTimeLag, subscriptionLag, horizon)) {
            g.build(out::add);
        }
        return new MetricSnapshots(out);
    }

    private static void stage(final Gauge g, final String cluster, final String node, final String stage, final Long v) {
        if (v != null) {
            g.add(v, "cluster", cluster, "node", node, "stage", stage);
        }
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of("replwatch_node_state", "replwatch_node_timeline", "replwatch_node_last_sample_timestamp_seconds",
                "replwatch_standby_lag_bytes", "replwatch_standby_time_lag_seconds", "replwatch_standby_trend",
                "replwatch_standby_catch_up_eta_seconds", "replwatch_primary_wal_bytes_per_second",
                "replwatch_slot_retained_bytes", "replwatch_logical_slot_lag_bytes", "replwatch_logical_slot_trend",
                "replwatch_logical_slot_time_lag_seconds", "replwatch_subscription_time_lag_seconds",
                "replwatch_xmin_horizon_age_transactions");
    }

    /** One gauge family being filled. */
    private static final class Gauge {
        private final GaugeSnapshot.Builder builder;
        private boolean any;

        Gauge(final String name, final String help) {
            builder = GaugeSnapshot.builder().name(name).help(help);
        }

        void add(final double value, final String... labels) {
            builder.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build());
            any = true;
        }

        void build(final Consumer<MetricSnapshot> out) {
            if (any) {
                out.accept(builder.build());
            }
        }
    }
}
