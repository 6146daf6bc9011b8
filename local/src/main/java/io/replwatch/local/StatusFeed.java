package io.replwatch.local;

import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the status page shows, kept from the pipeline's own topics: the latest sample, health and lag of every
 * node, a feed of transitions (also printed as they happen), and per-node series over the last minutes (lag in
 * bytes and seconds, WAL rate from consecutive primary samples). One consumer thread; readers get snapshots.
 */
public final class StatusFeed implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StatusFeed.class);
    static final Duration SERIES_SPAN = Duration.ofMinutes(10);
    private static final int FEED_MAX = 100;

    /** One node's row in the fleet table. */
    static final class Row {
        String cluster;
        String node;
        String role = "?";
        String state = "UNKNOWN";
        List<String> reasons = List.of();
        String pollStatus;
        Long lagBytes;
        Double lagSeconds;
        String trend;
        Instant lastSampleAt;
        /** On a primary: the standby failover-check would promote ("none eligible" when none), and why. */
        String failoverPick;
        String failoverWhy;
        Long lastLsn;
        Instant lastLsnAt;
        /** A primary's archiver as its last sample showed it (null on standbys and before the first). */
        Map<String, Object> archiving;
        /** Who streams from this node (its pg_stat_replication's application names), its cluster_name. */
        List<String> downstreams = List.of();
        String clusterName;
        /** A standby's WAL receiver: the sender it streams from (host:port), or null; and how it is fed. */
        String sender;
        String feed;
        /** What the firing rules say, rule by rule (the horizon's holder, a slot's consumer...). */
        Map<String, String> reasonText = Map.of();
        /** A primary's logical slots: name, plugin, database, whether something consumes it. */
        List<Map<String, Object>> logicalSlots = List.of();
        /** A logical slot's latest consumer figures (from its LagRate), by slot name. */
        final Map<String, Map<String, Object>> slotLag = new java.util.HashMap<>();
        final Deque<double[]> series = new ArrayDeque<>(); // [epoch ms, lag bytes, lag s, wal bytes/s]
    }

    private final Map<String, Row> rows = new TreeMap<>();
    private final Deque<Map<String, Object>> transitions = new ArrayDeque<>();
    private final Deque<Map<String, Object>> notifications = new ArrayDeque<>();
    private final PrintStream out;
    private final Map<String, String> kafka;
    private final Map<String, String> registry;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;
    private volatile boolean running;
    private volatile Instant firstSampleAt;

    public StatusFeed(final Map<String, String> kafka, final Map<String, String> registry, final PrintStream out) {
        this.kafka = kafka;
        this.registry = registry;
        this.out = out;
    }

    public StatusFeed start() {
        running = true;
        thread = new Thread(this::run, "replwatch-status-feed");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void run() {
        final Map<String, Object> p = new LinkedHashMap<>(kafka);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "replwatch-status-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 2000);
        final AvroDeserializer<GenericContainer> de = new AvroDeserializer<>();
        final Map<String, Object> serde = new LinkedHashMap<>(registry);
        serde.put("specific.avro.reader", "true");
        de.configure(serde, false);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer = c;
            c.subscribe(List.of(Topics.SAMPLES, Topics.LAG_RATES, Topics.HEALTH_TRANSITIONS, Topics.NODE_HEALTH));
            while (running) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    try {
                        final Object v = de.deserialize(r.topic(), r.value());
                        if (v != null) {
                            accept(v);
                        }
                    } catch (final RuntimeException e) {
                        LOG.debug("Status feed skipped a record of {}: {}", r.topic(), e.toString());
                    }
                }
            }
        } catch (final WakeupException e) {
            // closing
        } catch (final RuntimeException e) {
            LOG.warn("Status feed stopped: {}", e.toString());
        }
    }

    synchronized void accept(final Object v) {
        if (v instanceof ReplicationSample s) {
            sample(s);
        } else if (v instanceof LagRate l && l.getSlot() != null) {
            // A logical slot's consumer on a primary: beside the slot, not the node's own lag.
            final Row r = row(l.getCluster(), l.getNode());
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("consumer", l.getConsumer());
            m.put("lag_bytes", l.getReplayLagBytes());
            m.put("lag_seconds", l.getTimeLagMs() == null ? null : l.getTimeLagMs() / 1000.0);
            m.put("trend", l.getTrend() == null ? null : l.getTrend().name());
            r.slotLag.put(l.getSlot(), m);
            for (final Map<String, Object> slot : r.logicalSlots) {
                if (l.getSlot().equals(slot.get("name"))) {
                    slot.putAll(m);
                }
            }
        } else if (v instanceof LagRate l) {
            final Row r = row(l.getCluster(), l.getNode());
            r.lagBytes = l.getReplayLagBytes();
            r.lagSeconds = l.getTimeLagMs() == null ? null : l.getTimeLagMs() / 1000.0;
            r.trend = l.getTrend() == null ? null : l.getTrend().name();
            point(r, l.getAt(), r.lagBytes == null ? Double.NaN : r.lagBytes, r.lagSeconds == null ? Double.NaN : r.lagSeconds, Double.NaN);
        } else if (v instanceof NodeHealth h) {
            final Row r = row(h.getCluster(), h.getNode());
            r.state = h.getState().name();
            r.reasons = h.getReasons().stream().map(HealthReason::getRule).toList();
            r.reasonText = reasonText(h.getReasons());
            if (h.getRole() != null) {
                r.role = h.getRole();
            }
            if (h.getFailover() != null) {
                r.failoverPick = h.getFailover().getPick() == null ? "none eligible" : h.getFailover().getPick();
                r.failoverWhy = h.getFailover().getWhy();
            }
        } else if (v instanceof HealthTransition t) {
            final Row r = row(t.getCluster(), t.getNode());
            r.state = t.getToState().name();
            r.reasons = t.getReasons().stream().map(HealthReason::getRule).toList();
            r.reasonText = reasonText(t.getReasons());
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("at", t.getAt().toString());
            m.put("cluster", t.getCluster());
            m.put("node", t.getNode());
            m.put("from", t.getFromState().name());
            m.put("to", t.getToState().name());
            m.put("reasons", r.reasons);
            m.put("cleared", List.copyOf(t.getCleared()));
            push(transitions, m);
            out.printf("%s  transition  %s/%s  %s -> %s  %s%s%n", t.getAt(), t.getCluster(), t.getNode(),
                    t.getFromState(), t.getToState(), r.reasons.isEmpty() ? "" : String.join(", ", r.reasons),
                    t.getCleared().isEmpty() ? "" : "  (cleared " + String.join(", ", t.getCleared()) + ")");
            out.flush();
        }
    }

    private void sample(final ReplicationSample s) {
        final Row r = row(s.getCluster(), s.getNode());
        if (firstSampleAt == null) {
            firstSampleAt = Instant.now();
        }
        r.lastSampleAt = s.getSampledAt();
        r.pollStatus = s.getStatus().name();
        if (s.getInRecovery() != null) {
            r.role = s.getInRecovery() ? "STANDBY" : "PRIMARY";
        }
        if (s.getStatus() == io.replwatch.avro.PollStatus.OK) {
            links(r, s);
            r.archiving = Boolean.FALSE.equals(s.getInRecovery()) ? archiving(s) : null;
        }
        if (Boolean.FALSE.equals(s.getInRecovery()) && s.getWalLsn() != null) {
            double rate = Double.NaN;
            if (r.lastLsn != null && s.getSampledAt().isAfter(r.lastLsnAt) && s.getWalLsn() >= r.lastLsn) {
                rate = (s.getWalLsn() - r.lastLsn) * 1000.0 / Duration.between(r.lastLsnAt, s.getSampledAt()).toMillis();
            }
            r.lastLsn = s.getWalLsn();
            r.lastLsnAt = s.getSampledAt();
            point(r, s.getSampledAt(), Double.NaN, Double.NaN, rate);
        }
    }

    private static Map<String, String> reasonText(final List<HealthReason> reasons) {
        final Map<String, String> m = new LinkedHashMap<>();
        for (final HealthReason r : reasons) {
            m.put(r.getRule(), r.getMessage());
        }
        return m;
    }

    /** What the sample says about the node's place in the cluster: downstreams, and for a standby its feed. */
    private static void links(final Row r, final ReplicationSample s) {
        final List<String> names = new ArrayList<>();
        for (final var replica : s.getReplicas()) {
            if (replica.getApplicationName() != null) {
                names.add(replica.getApplicationName());
            }
        }
        r.downstreams = names;
        final List<Map<String, Object>> logical = new ArrayList<>();
        for (final var slot : s.getSlots()) {
            if ("logical".equals(slot.getSlotType())) {
                final Map<String, Object> l = new LinkedHashMap<>();
                l.put("name", slot.getSlotName());
                l.put("plugin", slot.getPlugin());
                l.put("database", slot.getDatabase());
                l.put("active", slot.getActive());
                final Map<String, Object> lag = r.slotLag.get(slot.getSlotName());
                if (lag != null) {
                    l.putAll(lag);
                }
                logical.add(l);
            }
        }
        r.logicalSlots = logical;
        if (r.slotLag.size() > logical.size()) {
            r.slotLag.keySet().retainAll(logical.stream().map(m -> (String) m.get("name")).toList());
        }
        r.clusterName = s.getSettings() == null ? null : s.getSettings().getClusterName();
        final var receiver = s.getStandby() == null ? null : s.getStandby().getWalReceiver();
        r.sender = receiver == null || receiver.getSenderHost() == null ? null
                : receiver.getSenderHost() + (receiver.getSenderPort() == null ? "" : ":" + receiver.getSenderPort());
        final var st = s.getSettings();
        if (!Boolean.TRUE.equals(s.getInRecovery())) {
            r.feed = null;
        } else if (receiver != null && "streaming".equals(receiver.getStatus())) {
            r.feed = "streaming";
        } else if (st != null && Boolean.TRUE.equals(st.getRestoreCommandSet()) && !Boolean.TRUE.equals(st.getPrimaryConninfoSet())) {
            r.feed = "archive";
        } else {
            r.feed = receiver == null ? "no WAL receiver" : receiver.getStatus();
        }
    }

    /** A primary's archiving: off, ok or failing, with the segments waiting and the last archived / failed WAL. */
    static Map<String, Object> archiving(final ReplicationSample s) {
        final Map<String, Object> m = new LinkedHashMap<>();
        final var st = s.getSettings();
        final String mode = st == null ? null : st.getArchiveMode();
        final var a = s.getArchiver();
        if (mode == null || "off".equals(mode)) {
            m.put("state", mode == null ? "unknown" : "off");
            return m;
        }
        final boolean failing = a != null && a.getLastFailedAt() != null
                && (a.getLastArchivedAt() == null || a.getLastFailedAt().isAfter(a.getLastArchivedAt()));
        m.put("state", st.getArchiveCommandSet() != null && !st.getArchiveCommandSet() ? "no archive_command"
                : failing ? "failing" : "ok");
        if (a != null) {
            m.put("ready", a.getReadyCount());
            m.put("oldest_ready_at", a.getOldestReadyAt() == null ? null : a.getOldestReadyAt().toString());
            m.put("last_archived_wal", a.getLastArchivedWal());
            m.put("last_archived_at", a.getLastArchivedAt() == null ? null : a.getLastArchivedAt().toString());
            m.put("last_failed_wal", a.getLastFailedWal());
            m.put("last_failed_at", a.getLastFailedAt() == null ? null : a.getLastFailedAt().toString());
        }
        return m;
    }

    /**
     * Where a standby gets its WAL from, as an operator names it: the node whose pg_stat_replication lists it (a
     * cascading standby before the primary), else the WAL receiver's sender, else the archive, else nothing.
     */
    private String upstream(final Row standby) {
        String viaPrimary = null;
        for (final Row r : rows.values()) {
            if (r == standby || !r.cluster.equals(standby.cluster)) {
                continue;
            }
            if (r.downstreams.contains(standby.node)
                    || standby.clusterName != null && r.downstreams.contains(standby.clusterName)) {
                if (!"PRIMARY".equals(r.role)) {
                    return r.node;
                }
                viaPrimary = r.node;
            }
        }
        if (viaPrimary != null && "streaming".equals(standby.feed)) {
            return viaPrimary;
        }
        if (standby.sender != null) {
            return standby.sender;
        }
        if ("archive".equals(standby.feed)) {
            return "archive (restore_command)";
        }
        return viaPrimary;
    }

    private static void point(final Row r, final Instant at, final double lagBytes, final double lagS, final double wal) {
        r.series.addLast(new double[] {at.toEpochMilli(), lagBytes, lagS, wal});
        final long cutoff = at.minus(SERIES_SPAN).toEpochMilli();
        while (!r.series.isEmpty() && r.series.peekFirst()[0] < cutoff) {
            r.series.removeFirst();
        }
    }

    private Row row(final String cluster, final String node) {
        return rows.computeIfAbsent(cluster + "/" + node, k -> {
            final Row r = new Row();
            r.cluster = cluster;
            r.node = node;
            return r;
        });
    }

    private static void push(final Deque<Map<String, Object>> feed, final Map<String, Object> m) {
        feed.addFirst(m);
        while (feed.size() > FEED_MAX) {
            feed.removeLast();
        }
    }

    /** A notification that reached the local webhook receiver. */
    public synchronized void notification(final Map<String, Object> n) {
        push(notifications, n);
    }

    /** When the first sample arrived (null before). */
    public Instant firstSampleAt() {
        return firstSampleAt;
    }

    /** The page's whole model as JSON-ready maps. */
    public synchronized Map<String, Object> snapshot() {
        final List<Map<String, Object>> nodes = new ArrayList<>();
        final Map<String, Object> series = new LinkedHashMap<>();
        for (final Row r : rows.values()) {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("cluster", r.cluster);
            m.put("node", r.node);
            m.put("role", r.role);
            m.put("state", r.state);
            m.put("reasons", r.reasons);
            m.put("poll_status", r.pollStatus);
            m.put("lag_bytes", r.role.equals("PRIMARY") ? null : r.lagBytes);
            m.put("lag_seconds", r.role.equals("PRIMARY") ? null : r.lagSeconds);
            m.put("trend", r.role.equals("PRIMARY") ? null : r.trend);
            m.put("last_sample_at", r.lastSampleAt == null ? null : r.lastSampleAt.toString());
            m.put("archiving", r.archiving);
            m.put("upstream", "STANDBY".equals(r.role) ? upstream(r) : null);
            m.put("feed", "STANDBY".equals(r.role) ? r.feed : null);
            m.put("reason_text", r.reasonText);
            m.put("logical_slots", "PRIMARY".equals(r.role) ? r.logicalSlots : List.of());
            if ("PRIMARY".equals(r.role) && r.failoverPick != null) {
                m.put("failover", Map.of("pick", r.failoverPick, "why", r.failoverWhy));
            }
            nodes.add(m);
            final List<double[]> pts = new ArrayList<>(r.series);
            series.put(r.cluster + "/" + r.node, pts);
        }
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put("now", Instant.now().toString());
        s.put("nodes", nodes);
        s.put("transitions", new ArrayList<>(transitions));
        s.put("notifications", new ArrayList<>(notifications));
        s.put("series", series);
        return s;
    }

    @Override
    public void close() {
        running = false;
        final KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
