package io.replwatch.collector;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.collector.config.NodeConfig;
import io.replwatch.collector.config.PatroniConfig;
import io.replwatch.collector.patroni.PatroniSource;
import io.replwatch.avro.PatroniInfo;
import io.replwatch.avro.PatroniMember;
import io.replwatch.avro.PatroniSelf;
import io.replwatch.collector.poll.NodePoller;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls every configured node at a fixed rate, each with its own random phase so that a fleet is not polled in
 * lockstep, and hands every sample to a sink (the Kafka publisher in production).
 *
 * <p>One scheduler thread only triggers; polls run on a bounded worker pool. A node whose previous poll is still
 * running is skipped for that tick and the skip is counted, so a slow or hung node never delays another.
 * Lifecycle: construct (validates nothing further, connects to nothing), {@link #start()}, {@link #close()}.
 */
public final class Collector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);

    private final CollectorConfig config;
    private final Consumer<ReplicationSample> sink;
    private final MeterRegistry metrics;
    private static final int PATRONI_FIELD = ReplicationSample.getClassSchema().getField("patroni").pos();
    private final List<NodePoller> pollers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.function.LongSupplier clock;
    /** Each polled node's schedule, by {@code cluster/node}. */
    private final Map<String, java.util.concurrent.ScheduledFuture<?>> schedules = new ConcurrentHashMap<>();
    /** Patroni clusters, by name: their members are found, not listed. */
    private final Map<String, PatroniSource> patroni = new ConcurrentHashMap<>();
    /** Members found through Patroni (not listed in the configuration), by key, with when they went missing. */
    private final Map<String, Long> discovered = new ConcurrentHashMap<>();
    private volatile boolean started;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService workers;
    private final Timer pollTimer;
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();
    private final Map<String, Counter> skips = new ConcurrentHashMap<>();
    private final AtomicInteger reachable = new AtomicInteger();
    /** Told when the set of clusters polled changes (a heartbeat goes out at once). */
    private volatile Runnable onClustersChanged = () -> { };
    /** Poll intervals of clusters that set their own (targets), by cluster. */
    private final Map<String, Long> intervals = new ConcurrentHashMap<>();
    /**
     * Room for every node's poll at once: a node is queued at most once (a tick finding its poll still queued or
     * running is skipped), so the queue never holds more polls than there are nodes.
     */
    private static final int QUEUE = 1 << 17;

    public Collector(final CollectorConfig config, final Consumer<ReplicationSample> sink, final MeterRegistry metrics) {
        this(config, sink, metrics, System::currentTimeMillis);
    }

    /** @param clock what samples are dated by (epoch ms): this host's clock, or a skewed one in tests */
    public Collector(final CollectorConfig config, final Consumer<ReplicationSample> sink, final MeterRegistry metrics,
                     final java.util.function.LongSupplier clock) {
        this.config = config;
        this.sink = sink;
        this.metrics = metrics;
        this.clock = clock;
        for (final NodeConfig n : config.nodes()) {
            pollers.add(newPoller(n));
        }
        for (final PatroniConfig pc : config.patroni()) {
            patroni.put(pc.cluster(), new PatroniSource(pc, clock));
        }
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "replwatch-scheduler"));
        final AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(config.maxConcurrentPolls(), config.maxConcurrentPolls(), 60,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(QUEUE),
                r -> daemon(r, "replwatch-poll-" + n.incrementAndGet()));
        this.pollTimer = Timer.builder("replwatch_collector_poll_duration")
                .description("Poll latency, all nodes: connect (when needed) and the one SQL round trip")
                .publishPercentiles(0.5, 0.95, 0.99)
                .publishPercentileHistogram(false)
                .register(metrics);
        metrics.gauge("replwatch_collector_nodes_configured", pollers, List::size);
        metrics.gauge("replwatch_collector_nodes_reachable", reachable);
        io.micrometer.core.instrument.Gauge.builder("replwatch_collector_nodes_unencrypted", pollers,
                        ps -> ps.stream().filter(p -> Boolean.FALSE.equals(p.encrypted())).count())
                .description("Nodes whose current connection is not encrypted (TLS): the password and samples travel in the clear")
                .register(metrics);
    }

    private static Thread daemon(final Runnable r, final String name) {
        final Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private NodePoller newPoller(final NodeConfig n) {
        return new NodePoller(n, config.collectorId(), config.connectTimeout(), config.statementTimeout(),
                config.settingsRefresh(), clock);
    }

    private static String key(final NodeConfig n) {
        return n.cluster() + "/" + n.name();
    }

    /**
     * Schedules every node: first poll after a random phase within one interval, then at a fixed rate. A Patroni
     * cluster is read once first, so that its members are polled from the start, then every interval.
     */
    public void start() {
        final long interval = config.pollInterval().toMillis();
        started = true;
        for (final NodePoller p : pollers) {
            schedule(p, ThreadLocalRandom.current().nextLong(interval));
        }
        for (final PatroniSource src : patroni.values()) {
            refreshPatroni(src);
            scheduler.scheduleAtFixedRate(() -> workers.execute(() -> refreshPatroni(src)),
                    ThreadLocalRandom.current().nextLong(interval), interval, TimeUnit.MILLISECONDS);
        }
        LOG.info("Collector {} polling {} nodes ({} Patroni clusters) every {} ms with {} workers", config.collectorId(),
                pollers.size(), patroni.size(), interval, config.maxConcurrentPolls());
    }

    private void schedule(final NodePoller p, final long phase) {
        schedules.put(key(p.node()), scheduler.scheduleAtFixedRate(() -> tick(p), phase, interval(p.node().cluster()),
                TimeUnit.MILLISECONDS));
    }

    private long interval(final String cluster) {
        return intervals.getOrDefault(cluster, config.pollInterval().toMillis());
    }

    /**
     * Starts polling a cluster, or brings it to a new definition (a target changed): a node whose settings are
     * unchanged keeps its connection, schedule and sequence; a changed node is reconnected; a node no longer listed
     * gets a last sample saying it is no longer watched. A changed interval reschedules the cluster's nodes.
     *
     * @param interval the cluster's own poll interval, or null for the collector's
     */
    public synchronized void applyCluster(final String cluster, final List<NodeConfig> nodes, final java.time.Duration interval) {
        final long before = interval(cluster);
        if (interval == null) {
            intervals.remove(cluster);
        } else {
            intervals.put(cluster, interval.toMillis());
        }
        final boolean rescheduled = before != interval(cluster);
        final boolean isNew = pollers.stream().noneMatch(p -> p.node().cluster().equals(cluster));
        final java.util.Set<String> wanted = new java.util.HashSet<>();
        int added = 0;
        for (final NodeConfig n : nodes) {
            wanted.add(key(n));
            final NodePoller have = poller(key(n));
            if (have != null && have.node().equals(n)) {
                if (rescheduled) {
                    final var f = schedules.remove(key(n));
                    if (f != null) {
                        f.cancel(false);
                    }
                    schedule(have, ThreadLocalRandom.current().nextLong(interval(cluster)));
                }
                continue;
            }
            if (have != null) {
                drop(have, null);
            }
            final NodePoller p = newPoller(n);
            pollers.add(p);
            added++;
            if (started) {
                schedule(p, ThreadLocalRandom.current().nextLong(Math.min(interval(cluster), 1000)));
            }
        }
        int removed = 0;
        for (final NodePoller p : pollers) {
            if (p.node().cluster().equals(cluster) && !wanted.contains(key(p.node())) && !discovered.containsKey(key(p.node()))) {
                drop(p, "removed from its cluster's target: no longer polled");
                removed++;
            }
        }
        if (added > 0 || removed > 0 || rescheduled) {
            LOG.info("{}: polling {} nodes every {} ms ({} new or changed, {} removed)", cluster, nodes.size(),
                    interval(cluster), added, removed);
        }
        if (isNew && !nodes.isEmpty()) {
            onClustersChanged.run();
        }
    }

    /**
     * Stops polling a cluster. With {@code reason} (the cluster left the targets), each node's last sample says so and
     * the processor forgets it; without (another collector takes the cluster over), nodes just stop.
     */
    public synchronized void removeCluster(final String cluster, final String reason) {
        int n = 0;
        for (final NodePoller p : pollers) {
            if (p.node().cluster().equals(cluster)) {
                drop(p, reason);
                n++;
            }
        }
        intervals.remove(cluster);
        if (n > 0) {
            LOG.info("{}: no longer polled here ({} nodes){}", cluster, n, reason == null ? "" : ": " + reason);
            onClustersChanged.run();
        }
    }

    /** Called (on the changing thread) whenever a cluster starts or stops being polled here. */
    public void onClustersChanged(final Runnable r) {
        this.onClustersChanged = r;
    }

    /** The clusters polled now, sorted. */
    public List<String> clusters() {
        return pollers.stream().map(p -> p.node().cluster()).distinct().sorted().toList();
    }

    /**
     * Reads a Patroni cluster and follows its membership: a member not polled yet is added (polled at once), one
     * whose address changed is replaced, and one missing from /cluster for the cluster's member_grace is dropped after
     * a last sample that says so. Nothing is dropped while Patroni does not answer.
     */
    void refreshPatroni(final PatroniSource src) {
        final PatroniInfo info;
        try {
            info = src.refresh();
        } catch (final RuntimeException e) {
            LOG.error("{}: reading Patroni failed: {}", src.config().cluster(), e.toString(), e);
            return;
        }
        if (info.getError() != null || !started) {
            return;
        }
        final String cluster = src.config().cluster();
        final long now = clock.getAsLong();
        final java.util.Set<String> present = new java.util.HashSet<>();
        for (final PatroniMember m : info.getMembers()) {
            if (m.getHost() == null || m.getPort() == null) {
                continue;
            }
            final NodeConfig want = src.config().member(m.getName(), m.getHost(), m.getPort());
            final String k = key(want);
            present.add(k);
            final NodePoller have = poller(k);
            if (have != null && (have.node().host().equals(want.host()) && have.node().port() == want.port()
                    || !discovered.containsKey(k))) {
                discovered.computeIfPresent(k, (x, v) -> 0L);
                continue;
            }
            if (have != null) {
                LOG.info("{}: member {} moved from {}:{} to {}:{}", cluster, m.getName(), have.node().host(),
                        have.node().port(), want.host(), want.port());
                drop(have, null);
            } else {
                LOG.info("{}: Patroni member {} found at {}:{}: polling it", cluster, m.getName(), want.host(), want.port());
            }
            final NodePoller p = newPoller(want);
            pollers.add(p);
            discovered.put(k, 0L);
            schedule(p, 0);
        }
        for (final NodePoller p : pollers) {
            final String k = key(p.node());
            if (!p.node().cluster().equals(cluster) || present.contains(k) || !discovered.containsKey(k)) {
                continue;
            }
            final long since = discovered.get(k) == 0L ? now : discovered.get(k);
            discovered.put(k, since);
            if (now - since >= src.config().memberGrace().toMillis()) {
                LOG.info("{}: {} has not been a Patroni member for {}: no longer polled", cluster, p.node().name(),
                        src.config().memberGrace());
                drop(p, "left the Patroni cluster: no longer polled");
            }
        }
    }

    private NodePoller poller(final String key) {
        for (final NodePoller p : pollers) {
            if (key(p.node()).equals(key)) {
                return p;
            }
        }
        return null;
    }

    /** Stops polling a node; with {@code farewell}, publishes a last sample saying why it is no longer watched. */
    private void drop(final NodePoller p, final String farewell) {
        final String k = key(p.node());
        p.markDropped();
        final var f = schedules.get(k);
        if (f != null && schedules.remove(k, f)) {
            f.cancel(false);
        }
        pollers.remove(p);
        discovered.remove(k);
        if (p.reachable()) {
            reachable.decrementAndGet();
        }
        // A poll still running finishes first (its sample is not published: see runPoll), then the connection closes.
        workers.execute(() -> {
            while (!p.tryStart()) {
                try {
                    Thread.sleep(50);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            p.close();
        });
        if (farewell != null) {
            final PatroniSource src = patroni.get(p.node().cluster());
            final PatroniInfo info = src == null ? null : src.current();
            sink.accept(ReplicationSample.newBuilder()
                    .setCluster(p.node().cluster())
                    .setNode(p.node().name())
                    .setCollectorId(config.collectorId())
                    .setSampledAt(java.time.Instant.ofEpochMilli(clock.getAsLong()))
                    .setSequence(p.nextSequence())
                    .setStatus(PollStatus.UNREACHABLE)
                    .setMessage(farewell)
                    .setLabels(p.node().labels())
                    .setRetired(true)
                    .setPatroni(src == null ? null : info == null ? PatroniInfo.newBuilder().setReadAt(
                            java.time.Instant.ofEpochMilli(clock.getAsLong())).setRemoved(true).build()
                            : PatroniInfo.newBuilder(info).setRemoved(true).setSelf(null).build())
                    .build());
        }
    }

    private void tick(final NodePoller p) {
        if (!p.tryStart()) {
            skipCounter(p.node()).increment();
            return;
        }
        try {
            workers.execute(() -> runPoll(p));
        } catch (final RejectedExecutionException e) {
            p.release();
            skipCounter(p.node()).increment();
        }
    }

    /**
     * One poll, its sample handed to the sink before the node's claim is released: the next poll of the node cannot
     * overtake it, so a node's samples reach Kafka in sequence order.
     */
    private void runPoll(final NodePoller p) {
        try {
            pollAndPublish(p);
        } finally {
            p.release();
        }
    }

    private void pollAndPublish(final NodePoller p) {
        final boolean wasReachable = p.reachable();
        final PatroniSource src = patroni.get(p.node().cluster());
        // The member's own /patroni is read while the SQL round trip runs, not after it.
        final java.util.concurrent.CompletableFuture<PatroniSelf> self = src == null ? null : src.self(p.node().name());
        final ReplicationSample sample;
        try {
            sample = p.poll();
            if (src != null) {
                // A failed poll is read against what Patroni says after it, not during it: the /patroni read beside
                // the SQL round trip can predate Patroni's own move to stopping or restarting by a moment.
                sample.put(PATRONI_FIELD, withSelf(src, sample.getStatus() == PollStatus.OK ? self
                        : src.self(p.node().name())));
            }
        } catch (final RuntimeException e) {
            LOG.error("{}/{}: poll crashed: {}", p.node().cluster(), p.node().name(), e.toString(), e);
            return;
        }
        if (p.dropped()) {
            return; // dropped while it polled: removed, or polled by another collector now
        }
        pollTimer.record(p.lastPollNanos(), TimeUnit.NANOSECONDS);
        if (p.reachable() != wasReachable) {
            reachable.addAndGet(p.reachable() ? 1 : -1);
        }
        if (sample.getStatus() != PollStatus.OK) {
            failures.computeIfAbsent(p.node().cluster() + "\u0000" + p.node().name() + "\u0000" + sample.getStatus(),
                    k -> Counter.builder("replwatch_collector_poll_failures")
                            .description("Polls that did not return an OK sample, by status")
                            .tag("cluster", p.node().cluster()).tag("node", p.node().name())
                            .tag("status", sample.getStatus().name())
                            .register(metrics)).increment();
        }
        sink.accept(sample);
    }

    /** The cluster's last Patroni read, with this member's own state when it answered in time. */
    private PatroniInfo withSelf(final PatroniSource src, final java.util.concurrent.CompletableFuture<PatroniSelf> self) {
        final PatroniInfo info = src.current();
        PatroniSelf me;
        try {
            me = self.get(src.config().timeout().toMillis() + 100, TimeUnit.MILLISECONDS);
        } catch (final java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            me = PatroniSelf.newBuilder().setError("its REST API did not answer within " + src.config().timeout()).build();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            me = null;
        }
        if (info == null) {
            return PatroniInfo.newBuilder().setReadAt(java.time.Instant.ofEpochMilli(clock.getAsLong()))
                    .setError("Patroni not read yet").setSelf(me).build();
        }
        return PatroniInfo.newBuilder(info).setSelf(me).build();
    }

    private Counter skipCounter(final NodeConfig n) {
        return skips.computeIfAbsent(n.cluster() + "\u0000" + n.name(), k -> Counter.builder(
                        "replwatch_collector_polls_skipped")
                .description("Ticks skipped because the node's previous poll was still running")
                .tag("cluster", n.cluster()).tag("node", n.name()).register(metrics));
    }

    public List<NodePoller> pollers() {
        return pollers;
    }

    public int reachableNodes() {
        return reachable.get();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(config.statementTimeout().plus(config.connectTimeout()).toMillis() + 1000,
                    TimeUnit.MILLISECONDS)) {
                workers.shutdownNow();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.shutdownNow();
        }
        pollers.forEach(NodePoller::close);
    }
}
