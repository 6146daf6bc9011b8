package io.replwatch.processor.topology;

import io.replwatch.avro.CollectorHeartbeat;
import io.replwatch.avro.CollectorState;
import io.replwatch.avro.CollectorStatus;
import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage, over replwatch.collectors (one partition, so one task sees every collector): which collector is alive,
 * which clusters nobody polls, and COLLECTOR_DOWN.
 *
 * <p>A collector is alive while its RUNNING heartbeats keep coming (one within three of its intervals). When it
 * stops, cleanly (a LEFT heartbeat) or not, its clusters are expected to be taken over by the group: a cluster is
 * taken over once a live collector's heartbeat lists it. A collector gone for longer than {@code collector_takeover}
 * with clusters nobody took over raises one COLLECTOR_DOWN (a transition of the collector itself, under the cluster
 * {@value #CLUSTER}, naming those clusters), which resolves when they are taken over or it comes back. The collector
 * status this stage writes (replwatch.collector-status, read whole by every task) tells each task's staleness check
 * that a silent node's collector is gone, so the nodes wait for the takeover and are not reported SAMPLES_STALE
 * while COLLECTOR_DOWN speaks for them.
 */
final class CollectorWatch implements Processor<byte[], byte[], String, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(CollectorWatch.class);

    /** The cluster name COLLECTOR_DOWN transitions carry (the node is the collector's id). */
    static final String CLUSTER = "replwatch-collectors";
    static final String RULE = "COLLECTOR_DOWN";
    /** How many cluster names a COLLECTOR_DOWN message lists before "and N more". */
    private static final int NAMED = 20;

    private final TopologySettings settings;
    private final AvroDeserializer<CollectorHeartbeat> deserializer;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, byte[]> heartbeats;
    private KeyValueStore<String, byte[]> statuses;

    CollectorWatch(final TopologySettings settings, final AvroDeserializer<CollectorHeartbeat> deserializer) {
        this.settings = settings;
        this.deserializer = deserializer;
    }

    @Override
    public void init(final ProcessorContext<String, Object> ctx) {
        this.context = ctx;
        this.heartbeats = ctx.getStateStore(Names.HEARTBEATS_STORE);
        this.statuses = ctx.getStateStore(Names.WATCH_STORE);
        ctx.schedule(settings.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::evaluate);
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        final CollectorHeartbeat hb;
        try {
            hb = deserializer.deserialize(Topics.COLLECTORS, record.value());
            if (hb == null) {
                return; // a tombstone: nothing to judge
            }
        } catch (final RuntimeException e) {
            if (io.replwatch.serde.RegistryException.isRetriable(e)) {
                throw new ReplicationProcessor.RegistryUnavailableException(e);
            }
            LOG.warn("Undecodable heartbeat on {} sent to the dead-letter topic: {}", Topics.COLLECTORS, e.getMessage());
            context.forward(new Record<String, Object>(DeadLetters.key(record), DeadLetters.of(record, e,
                    context.recordMetadata(), context.currentSystemTimeMs()), record.timestamp()), Names.WATCH_DEAD_LETTER_SINK);
            return;
        }
        final CollectorHeartbeat before = decode(heartbeats.get(hb.getCollectorId()));
        if (before != null && before.getSentAt().isAfter(hb.getSentAt())) {
            return; // out of order
        }
        heartbeats.put(hb.getCollectorId(), encode(hb));
    }

    /** Judges every collector on the wall clock; writes what changed. */
    void evaluate(final long now) {
        final Map<String, CollectorHeartbeat> all = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = heartbeats.all()) {
            while (it.hasNext()) {
                final KeyValue<String, byte[]> kv = it.next();
                all.put(kv.key, decode(kv.value));
            }
        }
        final Set<String> claimed = new HashSet<>();
        for (final CollectorHeartbeat hb : all.values()) {
            if (alive(hb, now)) {
                claimed.addAll(hb.getClusters());
            }
        }
        for (final CollectorHeartbeat hb : all.values()) {
            judge(hb, now, claimed);
        }
    }

    static boolean alive(final CollectorHeartbeat hb, final long now) {
        return hb.getState() == CollectorState.RUNNING
                && now - hb.getSentAt().toEpochMilli() <= 3 * Math.max(hb.getIntervalMs(), 100);
    }

    private void judge(final CollectorHeartbeat hb, final long now, final Set<String> claimed) {
        final String id = hb.getCollectorId();
        final boolean alive = alive(hb, now);
        final List<String> unclaimed = new ArrayList<>();
        if (!alive) {
            for (final String c : new TreeSet<>(hb.getClusters())) {
                if (!claimed.contains(c)) {
                    unclaimed.add(c);
                }
            }
        }
        final long silent = now - hb.getSentAt().toEpochMilli();
        final boolean down = !alive && !unclaimed.isEmpty() && silent >= settings.collectorTakeover().toMillis();
        final CollectorStatus prev = decodeStatus(statuses.get(id));
        final boolean wasDown = prev != null && prev.getDown();
        final boolean gone = !alive && (unclaimed.isEmpty() && silent >= settings.collectorTakeover().toMillis()
                || silent >= settings.nodeRetention().toMillis());
        if (down != wasDown || gone && wasDown) {
            transition(hb, now, down && !gone, unclaimed);
        }
        if (gone) {
            // Gone, and its clusters are polled by others (or it has been silent longer than nodes are kept).
            heartbeats.delete(id);
            if (prev != null) {
                statuses.delete(id);
                context.forward(new Record<String, Object>(id, null, now), Names.COLLECTOR_STATUS_SINK);
            }
            LOG.info("Collector {} is gone{}", id, unclaimed.isEmpty() ? "; its clusters are polled by others" : "");
            return;
        }
        if (prev != null && prev.getAlive() == alive && prev.getDown() == down && prev.getUnclaimed().equals(unclaimed)
                && prev.getClusters().equals(hb.getClusters())) {
            return;
        }
        final CollectorStatus status = CollectorStatus.newBuilder().setCollectorId(id).setAlive(alive)
                .setLastHeartbeatAt(hb.getSentAt()).setClusters(hb.getClusters()).setUnclaimed(unclaimed).setDown(down)
                .setUpdatedAt(Instant.ofEpochMilli(now)).build();
        statuses.put(id, encodeStatus(status));
        context.forward(new Record<String, Object>(id, status, now), Names.COLLECTOR_STATUS_SINK);
        if (prev != null && prev.getAlive() != alive) {
            LOG.info("Collector {} {}", id, alive ? "is back" : hb.getState() == CollectorState.LEFT ? "left"
                    : "stopped sending heartbeats " + silent + " ms ago");
        }
    }

    /** COLLECTOR_DOWN fires (or resolves): one transition for the collector, naming the clusters nobody polls. */
    private void transition(final CollectorHeartbeat hb, final long now, final boolean down, final List<String> unclaimed) {
        final String id = hb.getCollectorId();
        final HealthState from = down ? HealthState.HEALTHY : HealthState.CRITICAL;
        final HealthState to = down ? HealthState.CRITICAL : HealthState.HEALTHY;
        final List<HealthReason> reasons = new ArrayList<>();
        if (down) {
            final String how = hb.getState() == CollectorState.LEFT ? "stopped" : "has sent no heartbeat for "
                    + (now - hb.getSentAt().toEpochMilli()) / 1000 + " s";
            final String names = String.join(", ", unclaimed.subList(0, Math.min(NAMED, unclaimed.size())))
                    + (unclaimed.size() > NAMED ? " and " + (unclaimed.size() - NAMED) + " more" : "");
            reasons.add(HealthReason.newBuilder().setRule(RULE).setSeverity(HealthState.CRITICAL)
                    .setMessage("collector " + id + " " + how + " and no collector took over "
                            + (unclaimed.size() == 1 ? "its cluster " : "its " + unclaimed.size() + " clusters ") + names
                            + ": they are not watched")
                    .setValue((double) unclaimed.size()).setUnit("clusters").setSince(hb.getSentAt()).build());
        }
        final List<String> rules = down ? List.of(RULE) : List.of();
        final HealthTransition t = HealthTransition.newBuilder()
                .setId(HealthStage.transitionId(CLUSTER + "/" + id, now, from, to, rules))
                .setCluster(CLUSTER).setNode(id).setFromState(from).setToState(to).setAt(Instant.ofEpochMilli(now))
                .setReasons(reasons).setCleared(down ? List.of() : List.of(RULE))
                .setLabels(Map.of("collector", id))
                .build();
        LOG.info("{}: {}", id, down ? reasons.get(0).getMessage() : "COLLECTOR_DOWN resolved");
        context.forward(new Record<String, Object>(CLUSTER, t, now), Names.WATCH_TRANSITIONS_SINK);
    }

    private static byte[] encode(final CollectorHeartbeat hb) {
        return encode(CollectorHeartbeat.getEncoder(), hb);
    }

    private static CollectorHeartbeat decode(final byte[] b) {
        return b == null ? null : decode(CollectorHeartbeat.getDecoder(), b);
    }

    private static byte[] encodeStatus(final CollectorStatus s) {
        return encode(CollectorStatus.getEncoder(), s);
    }

    private static CollectorStatus decodeStatus(final byte[] b) {
        return b == null ? null : decode(CollectorStatus.getDecoder(), b);
    }

    /** Avro's single-object encoding: the stores need no registry. */
    private static <T> byte[] encode(final org.apache.avro.message.BinaryMessageEncoder<T> encoder, final T value) {
        try {
            final ByteBuffer b = encoder.encode(value);
            final byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T decode(final org.apache.avro.message.BinaryMessageDecoder<T> decoder, final byte[] b) {
        try {
            return decoder.decode(b);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
