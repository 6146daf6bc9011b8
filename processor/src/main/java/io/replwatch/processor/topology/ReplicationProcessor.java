package io.replwatch.processor.topology;

import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.WalThroughput;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Topics;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka processor of the topology: one per stream task, fed every sample of the clusters whose partition the
 * task owns (samples are keyed by cluster, so a primary and its standbys meet here without a repartition). It only
 * sequences the stages; each stage has one job and its own test. One sample runs top to bottom:
 *
 * <ol>
 * <li>decode, or dead-letter what cannot be decoded ({@link DeadLetters});</li>
 * <li>admit it into its node's state ({@link SampleIntake});</li>
 * <li>track the cluster's primary, failover and the primary's LSN history ({@link PrimaryTracker});</li>
 * <li>for the primary, WAL throughput windows ({@link WalWindows});</li>
 * <li>for a primary, its logical slots' consumers ({@link LogicalSlots}); for a subscriber, its subscriptions
 * ({@link Subscriptions}, matched to their publishers' slots by {@link Publishers});</li>
 * <li>for a standby, lag, true time lag and trend ({@link StandbyLag});</li>
 * <li>build what the rules see ({@link NodeViews}) and evaluate them: transitions and node health
 * ({@link HealthStage});</li>
 * <li>capacity rollups ({@link RollupStage});</li>
 * <li>add the lag figures to their tumbling windows, which go out when a later sample or the punctuator closes them
 * ({@link LagWindows}); save the node (and the cluster, when it changed), last.</li>
 * </ol>
 * A wall-clock punctuator notices nodes whose samples stopped ({@link Staleness}).
 */
final class ReplicationProcessor implements Processor<byte[], byte[], Object, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicationProcessor.class);

    private final TopologySettings settings;
    private final Deserializer<ReplicationSample> deserializer;
    private final Deserializer<LagRate> lagRates;
    private final ProcessorMetrics metrics;
    private ProcessorContext<Object, Object> context;
    private KeyValueStore<String, NodeHealth> healthStore;
    private final Outputs out = new Forwarder();
    private TaskState state;
    private SampleIntake intake;
    private PrimaryTracker primaries;
    private WalWindows wal;
    private LagWindows lagWindows;
    private StandbyLag lag;
    private NodeViews views;
    private HealthStage health;
    private RollupStage rollups;
    private final io.replwatch.serde.AvroDeserializer<io.replwatch.avro.CollectorStatus> collectorStatuses;

    /** Figures of a publisher's slot older than this are not matched to a subscription (the publisher went quiet). */
    static final long PUBLISHER_MAX_AGE_MS = 60_000;

    ReplicationProcessor(final TopologySettings settings, final Deserializer<ReplicationSample> deserializer,
                         final Deserializer<LagRate> lagRates, final ProcessorMetrics metrics,
                         final io.replwatch.serde.AvroDeserializer<io.replwatch.avro.CollectorStatus> collectorStatuses) {
        this.collectorStatuses = collectorStatuses;
        this.settings = settings;
        this.deserializer = deserializer;
        this.lagRates = lagRates;
        this.metrics = metrics;
    }

    @Override
    public void init(final ProcessorContext<Object, Object> ctx) {
        this.context = ctx;
        this.healthStore = ctx.getStateStore(Names.NODE_HEALTH_STORE);
        final HistoryStore history = new HistoryStore(ctx.getStateStore(Names.HISTORY_STORE));
        this.state = new TaskState(ctx.getStateStore(Names.NODE_STATE_STORE), ctx.getStateStore(Names.CLUSTER_STATE_STORE));
        state.load(ctx.currentSystemTimeMs(), history.loadAll());
        this.intake = new SampleIntake(settings, metrics::clockSkewed, metrics::collectorChanged, metrics::samplesMissing);
        this.primaries = new PrimaryTracker(settings, history);
        this.wal = new WalWindows(settings, out);
        this.lagWindows = new LagWindows(settings.lagRateWindow(), out);
        this.lag = new StandbyLag(settings);
        this.views = new NodeViews(settings, new Publishers(ctx.getStateStore(Names.LOGICAL_CONSUMERS_STORE), lagRates,
                PUBLISHER_MAX_AGE_MS), state::peek);
        this.health = new HealthStage(settings, out);
        this.rollups = new RollupStage(settings, out);
        final Staleness staleness = new Staleness(state, views, health, wal, lagWindows, settings.nodeRetention(),
                new CollectorStatuses(ctx.getStateStore(Names.COLLECTOR_STATUS_STORE), collectorStatuses,
                        settings.collectorTakeover()));
        ctx.schedule(settings.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, staleness::punctuate);
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        final ReplicationSample s;
        try {
            s = deserializer.deserialize(Topics.SAMPLES, record.value());
            if (s == null) {
                throw new IllegalArgumentException("null value (a tombstone) where a sample was expected");
            }
            Names.requireValid(s.getCluster(), s.getNode());
        } catch (final RuntimeException e) {
            if (io.replwatch.serde.RegistryException.isRetriable(e)) {
                // The registry is down, not the record bad: no dead letter. Failing the task aborts its transaction;
                // the stream thread is replaced and reads the record again from the last commit.
                LOG.warn("Schema registry unavailable; the sample will be read again: {}", e.getMessage());
                throw new RegistryUnavailableException(e);
            }
            LOG.warn("Undecodable record on {} sent to the dead-letter topic: {}", Topics.SAMPLES, e.getMessage());
            deadLetter(record, e);
            return;
        }
        try {
            process(s);
        } catch (final RuntimeException e) {
            // A sample this code cannot handle must not stop the stream for every other cluster.
            LOG.error("{}/{}: processing failed; sample sent to the dead-letter topic", s.getCluster(), s.getNode(), e);
            deadLetter(record, new IllegalStateException("processing failed: " + e, e));
        }
    }

    private void process(final ReplicationSample s) {
        final long sampledAt = s.getSampledAt().toEpochMilli();
        final long wall = context.currentSystemTimeMs();
        final NodeState ns = state.node(s.getCluster(), s.getNode(), Math.min(sampledAt, wall));
        final ClusterState cs = state.cluster(s.getCluster());
        final long t = intake.admit(s, sampledAt, wall, ns);
        if (t == SampleIntake.REFUSED) {
            return;
        }
        if (s.getRetired() || s.getPatroni() != null && s.getPatroni().getRemoved()) {
            // No longer watched (gone from the targets or its Patroni cluster): its last sample. Its alerts end and it
            // leaves the state and the API.
            LOG.info("{}/{}: {}; forgotten", s.getCluster(), s.getNode(), s.getMessage());
            health.retire(ns, t, wall);
            state.forget(ns);
            metrics.released(Names.nodeKey(ns));
            return;
        }
        // The node's lag windows that this sample is past go out first (whatever the sample: a DOWN standby's too).
        lagWindows.closeDue(ns, t);
        boolean clusterChanged = primaries.onSample(s, t, cs, views.staleAfter(ns), ns);
        clusterChanged |= ServerActivity.onSample(s, t, ns, cs, s.getNode().equals(cs.primary) && Samples.isPrimary(s));
        final LogicalSlots.Published logical = LogicalSlots.onSample(s, t, ns, cs, settings.lagWindow().toMillis(),
                settings.conflictsWindow().toMillis(), StandbyLag.minStallMs(settings, ns));
        Subscriptions.onSample(s, t, ns, settings.conflictsWindow().toMillis());
        if (PrimaryTracker.isPrimarySample(s, cs)) {
            wal.onPrimarySample(s, t, ns);
        }
        final LagRate lagRate = lag.onSample(s, t, ns, cs);
        final NodeView view = views.of(s, t, ns, cs);
        metrics.nodeView(Names.nodeKey(ns), view);
        // Unreachable: DOWN, or a planned outage (a Patroni switchover), which is NODE_UNREACHABLE at WARNING.
        final boolean before = unreachable(ns);
        health.evaluate(view, t, ns, wall);
        if (before && !unreachable(ns)) {
            // Back: its downstream standbys' UPSTREAM_DOWN clears with it (rare: a loop over the task's nodes).
            for (final NodeState other : state.nodes()) {
                if (health.upstreamBack(s.getCluster(), s.getNode(), other, t, wall)) {
                    state.saveNode(other);
                }
            }
        }
        clusterChanged |= ServerActivity.onHealth(s.getNode(), unreachable(ns) ? HealthState.DOWN : ns.state, t, cs);
        clusterChanged |= rollups.onSample(s, t, ns, cs, lagRate, logical.rates());
        if (lagRate != null) {
            metrics.lagRate(Names.nodeKey(ns), lagRate); // the gauges: every sample
            lagWindows.onSample(ns, lagRate, ns.lagPoints.get(ns.lagPoints.size() - 1), t);
        }
        for (final LagRate slot : logical.rates()) {
            final java.util.List<io.replwatch.processor.lag.Trend.Point> pts = ns.logicalSlotPoints.get(slot.getSlot());
            lagWindows.onSample(ns, slot, pts.get(pts.size() - 1), t);
            out.logicalConsumer(Publishers.topicKey(s.getCluster(), s.getNode(), slot.getSlot()), slot, t);
        }
        for (final String gone : logical.gone()) {
            out.logicalConsumer(Publishers.topicKey(s.getCluster(), s.getNode(), gone), null, t);
        }
        // Saved last, with everything this sample changed in it: the open lag windows too (they were once added after
        // the save, so a restore from the changelog lost the last sample's part of them).
        state.saveNode(ns);
        if (clusterChanged) {
            state.saveCluster(s.getCluster(), cs);
        }
    }

    private static boolean unreachable(final NodeState ns) {
        return ns.state == HealthState.DOWN || ns.firingRules.contains(io.replwatch.processor.health.Rules.NODE_UNREACHABLE);
    }

    /** The task leaves this instance: its nodes are exported by the instance that takes it. */
    @Override
    public void close() {
        if (state != null) {
            for (final NodeState ns : state.nodes()) {
                metrics.released(Names.nodeKey(ns));
            }
        }
    }

    private void deadLetter(final Record<byte[], byte[]> record, final RuntimeException e) {
        out.deadLetter(DeadLetters.key(record),
                DeadLetters.of(record, e, context.recordMetadata(), context.currentSystemTimeMs()), record.timestamp());
    }

    /** The registry could not be reached: the task fails (nothing committed) and the record is read again. */
    static final class RegistryUnavailableException extends org.apache.kafka.streams.errors.StreamsException {
        RegistryUnavailableException(final Throwable cause) {
            super("schema registry unavailable: " + cause.getMessage(), cause);
        }
    }

    /** The stages' outputs, forwarded to the topology's sinks (and node health to its queryable store). */
    private final class Forwarder implements Outputs {

        @Override
        public void walThroughput(final String cluster, final WalThroughput value, final long timestamp) {
            metrics.walThroughput(Names.nodeKey(value.getCluster(), value.getNode()), value);
            context.forward(new Record<>(cluster, value, timestamp), Names.WAL_THROUGHPUT_SINK);
        }

        @Override
        public void lagRate(final String cluster, final LagRate value, final long timestamp) {
            context.forward(new Record<>(cluster, value, timestamp), Names.LAG_RATES_SINK);
        }

        @Override
        public void logicalConsumer(final String key, final LagRate value, final long timestamp) {
            context.forward(new Record<>(key, value, timestamp), Names.LOGICAL_CONSUMERS_SINK);
        }

        @Override
        public void transition(final String cluster, final HealthTransition value, final long timestamp) {
            context.forward(new Record<>(cluster, value, timestamp), Names.TRANSITIONS_SINK);
        }

        @Override
        public void nodeHealth(final String nodeKey, final NodeHealth value, final long timestamp) {
            metrics.nodeHealth(nodeKey, value);
            if (value == null) {
                healthStore.delete(nodeKey);
            } else {
                healthStore.put(nodeKey, value);
            }
            context.forward(new Record<>(nodeKey, value, timestamp), Names.NODE_HEALTH_SINK);
        }

        @Override
        public void rollup(final String cluster, final CapacityRollup value, final long timestamp) {
            context.forward(new Record<>(cluster, value, timestamp), Names.ROLLUPS_SINK);
        }

        @Override
        public void deadLetter(final String key, final DeadLetter value, final long timestamp) {
            context.forward(new Record<>(key, value, timestamp), Names.DEAD_LETTER_SINK);
        }
    }
}
