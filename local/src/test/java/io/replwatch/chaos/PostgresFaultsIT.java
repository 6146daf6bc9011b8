package io.replwatch.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.collector.CollectorService;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.processor.ProcessorService;
import io.replwatch.processor.config.ProcessorConfig;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.PostgresCluster;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.TopicReader;
import io.replwatch.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL faults from the sandbox levers as one ordered run, through the real collector and processor: first
 * an idle primary for four minutes (no transition at all: time lag must not climb when nothing is written; the
 * classic now() - pg_last_xact_replay_timestamp() would pass LAG_TIME's warning after 1 minute), which is also a
 * publisher with a caught-up subscriber (its own cluster, matched to its slot: SUBSCRIPTION_LAG must not climb
 * either), then
 * under a steady write load, one at a time: a standby down, a replay stall, a cut replication link, a failover
 * (primary stopped, standby promoted), and the new primary down. Each must give its transition, in order; the
 * time from the lever to the transition being readable is printed (RELIABILITY.md). Rule durations are
 * shortened (REPLAY_STALLED critical after 10 s, clear_for 3 s) so the run takes minutes; detection is the rule's
 * own duration plus the pipeline. {@code -Dreplwatch.chaos.idle=2m} shortens the idle phase when rerunning by hand.
 */
@Tag("chaos")
class PostgresFaultsIT {

    private List<HealthTransition> transitions = List.of();
    private List<Long> arrivals = List.of();
    private final List<String> report = new ArrayList<>();

    @Test
    void faultsInOrderAndSilenceWhenIdle() throws Exception {
        final Duration idle = Duration.parse("PT" + System.getProperty("replwatch.chaos.idle", "4m").toUpperCase());
        try (Sandbox sb = Sandbox.builder().tempDir("chaos-pg-").standbys(2).start()) {
            final PostgresCluster pg = sb.postgres();
            final String kafka = sb.kafka().bootstrapServers();
            final String registry = sb.registry().url();
            final ProcessorConfig pc = ProcessorConfig.parse("""
                    application_id: chaos-pg
                    http_port: 0
                    state_dir: %s
                    partitions: 3
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    rules:
                      REPLAY_STALLED: {critical: 10s, clear_for: 3s}
                      REPLAY_PAUSED: {clear_for: 3s}
                      RECEIVER_DISCONNECTED: {clear_for: 3s}
                      STANDBY_MISSING: {clear_for: 3s}
                      SYNC_STANDBY_MISSING: {clear_for: 3s}
                    """.formatted(sb.dir().resolve("streams"), kafka, registry), k -> null);
            final PgNode subscriber = pg.addSubscriber("sub1");
            final String nodes = pg.nodes().stream()
                    .map(n -> "      - {name: " + n.name() + ", port: " + n.port() + "}").collect(Collectors.joining("\n"));
            final TopicReader<HealthTransition> reader = TopicReader.follow(kafka, registry, Topics.HEALTH_TRANSITIONS,
                    HealthTransition.class);
            transitions = reader.records();
            arrivals = reader.arrivals();
            try (ProcessorService processor = new ProcessorService(pc).start();
                 CollectorService collector = new CollectorService(CollectorConfig.parse("""
                         collector_id: chaos-pg
                         poll_interval: 1s
                         http_port: -1
                         kafka: {bootstrap.servers: "%s"}
                         schema_registry: {url: "%s"}
                         defaults: {host: 127.0.0.1, user: monitor, password: monitor}
                         clusters:
                           - name: sandbox
                             nodes:
                         %s
                           - name: subscriber
                             nodes:
                               - {name: sub1, port: %d}
                         """.formatted(kafka, registry, nodes, subscriber.port()), k -> null)).start()) {
                processor.awaitRunning(Duration.ofSeconds(60));
                for (final PgNode n : pg.nodes()) {
                    awaitTransition(n.name(), 0, Duration.ofSeconds(60), t -> t.getToState() == HealthState.HEALTHY);
                }
                awaitTransition("sub1", 0, Duration.ofSeconds(60), t -> t.getToState() == HealthState.HEALTHY);

                // 1. Idle: nothing written, nothing may change.
                final int idleMark = transitions.size();
                try {
                    await().during(idle).atMost(idle.plusSeconds(30)).pollInterval(Duration.ofSeconds(1))
                            .until(() -> transitions.size() == idleMark);
                } catch (final org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("transitions while idle: " + transitions.subList(idleMark, transitions.size()), e);
                }
                report.add(String.format("idle %d s: %d transitions", idle.toSeconds(), transitions.size() - idleMark));

                // 2. Faults, one at a time, under a steady write load (about 2 MB/s of WAL).
                final AtomicBoolean writing = new AtomicBoolean(true);
                final Thread writer = new Thread(() -> {
                    while (writing.get()) {
                        try {
                            pg.generateWal(1);
                            Thread.sleep(500);
                        } catch (final InterruptedException e) {
                            return;
                        } catch (final RuntimeException e) {
                            // the primary is down for a moment during the failover step
                            sleep(200);
                        }
                    }
                }, "write-load");
                writer.start();
                try {
                    step("standby2 stopped", () -> pg.stop("standby2"), "standby2", HealthState.DOWN, "NODE_UNREACHABLE");
                    step("standby2 started", () -> pg.start("standby2"), "standby2", HealthState.HEALTHY, null);
                    step("standby1 replay paused", () -> pg.pauseReplay("standby1"), "standby1", HealthState.WARNING, "REPLAY_PAUSED");
                    step("  ... still paused", () -> { }, "standby1", HealthState.CRITICAL, "REPLAY_STALLED");
                    step("standby1 replay resumed", () -> pg.resumeReplay("standby1"), "standby1", HealthState.HEALTHY, null);
                    step("standby1 link cut", () -> pg.cutLink("standby1"), "standby1", null, "RECEIVER_DISCONNECTED");
                    step("standby1 link restored", () -> pg.restoreLink("standby1"), "standby1", HealthState.HEALTHY, null);
                    step("primary stopped", () -> pg.stop("primary"), "primary", HealthState.DOWN, "NODE_UNREACHABLE");
                    step("standby1 promoted", () -> {
                        pg.promote("standby1");
                        pg.setPrimary("standby1");
                    }, "standby1", null, "FAILOVER");
                    step("new primary standby1 stopped", () -> pg.stop("standby1"), "standby1", HealthState.DOWN, "NODE_UNREACHABLE");
                } finally {
                    writing.set(false);
                    writer.interrupt();
                    writer.join(10_000);
                }
            } finally {
                reader.close();
            }
            System.out.println("PostgreSQL faults, in order (lever -> transition readable):");
            report.forEach(r -> System.out.println("  " + r));
        }
    }

    private interface Lever {
        void pull() throws Exception;
    }

    /**
     * Pulls a lever and waits for the node's next transition to {@code state} (any state when null) with
     * {@code rule} firing (none required when null); records the time it took.
     */
    private void step(final String what, final Lever lever, final String node, final HealthState state,
                      final String rule) throws Exception {
        final int mark = transitions.size();
        final long t0 = System.currentTimeMillis();
        lever.pull();
        final int i = awaitTransition(node, mark, Duration.ofSeconds(90), t ->
                (state == null || t.getToState() == state) && (rule == null || rules(t).contains(rule)));
        final HealthTransition t = transitions.get(i);
        report.add(String.format("%-30s -> %s %s %s %s in %.1f s", what, node, t.getFromState(), t.getToState(),
                rules(t), (arrivals.get(i) - t0) / 1000.0));
    }

    private int awaitTransition(final String node, final int after, final Duration within,
                                final Predicate<HealthTransition> test) {
        final int[] found = {-1};
        await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int i = after; i < transitions.size(); i++) {
                if (transitions.get(i).getNode().equals(node) && test.test(transitions.get(i))) {
                    found[0] = i;
                    return true;
                }
            }
            return false;
        });
        assertThat(found[0]).isGreaterThanOrEqualTo(after);
        return found[0];
    }

    private static List<String> rules(final HealthTransition t) {
        return t.getReasons().stream().map(HealthReason::getRule).toList();
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
