package io.replwatch.collector;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.collector.config.NodeConfig;
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
    private final List<NodePoller> pollers = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final ExecutorService workers;
    private final Timer pollTimer;
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();
    private final Map<String, Counter> skips = new ConcurrentHashMap<>();
    private final AtomicInteger reachable = new AtomicInteger();

    public Collector(final CollectorConfig config, final Consumer<ReplicationSample> sink, final MeterRegistry metrics) {
        this(config, sink, metrics, System::currentTimeMillis);
    }

    /** @param clock what samples are dated by (epoch ms): this host's clock, or a skewed one in tests */
    public Collector(final CollectorConfig config, final Consumer<ReplicationSample> sink, final MeterRegistry metrics,
                     final java.util.function.LongSupplier clock) {
        this.config = config;
        this.sink = sink;
        this.metrics = metrics;
        for (final NodeConfig n : config.nodes()) {
            pollers.add(new NodePoller(n, config.collectorId(), config.connectTimeout(), config.statementTimeout(),
                    config.settingsRefresh(), clock));
        }
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "replwatch-scheduler"));
        final AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(config.maxConcurrentPolls(), config.maxConcurrentPolls(), 60,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(Math.max(1024, pollers.size() * 2)),
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

    /** Schedules every node: first poll after a random phase within one interval, then at a fixed rate. */
    public void start() {
        final long interval = config.pollInterval().toMillis();
        for (final NodePoller p : pollers) {
            final long phase = ThreadLocalRandom.current().nextLong(interval);
            scheduler.scheduleAtFixedRate(() -> tick(p), phase, interval, TimeUnit.MILLISECONDS);
        }
        LOG.info("Collector {} polling {} nodes every {} ms with {} workers", config.collectorId(), pollers.size(),
                interval, config.maxConcurrentPolls());
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

    private void runPoll(final NodePoller p) {
        final boolean wasReachable = p.reachable();
        final ReplicationSample sample;
        try {
            sample = p.pollAndRelease();
        } catch (final RuntimeException e) {
            LOG.error("{}/{}: poll crashed: {}", p.node().cluster(), p.node().name(), e.toString(), e);
            return;
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
