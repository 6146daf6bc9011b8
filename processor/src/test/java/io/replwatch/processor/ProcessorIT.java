package io.replwatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.collector.Collector;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.collector.publish.SamplePublisher;
import io.replwatch.processor.health.Rules;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.PostgresCluster;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Collector and processor together on the sandbox: real replication faults become the expected transitions,
 * read back from replwatch.health-transitions, and the health API answers from the node-health store.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProcessorIT {

    private static Sandbox sandbox;
    private static PostgresCluster pg;
    private static SandboxPipeline pipe;
    private static List<HealthTransition> transitions = List.of();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.builder().tempDir("processor-it-").standbys(2).start();
        pg = sandbox.postgres();
        pipe = new SandboxPipeline(sandbox, "processor-it", """
                stale_min: 5s
                lag_window: 10s
                rules:
                  REPLAY_STALLED: {critical: 5s, clear_for: 3s}
                  REPLAY_PAUSED: {clear_for: 3s}
                  NODE_UNREACHABLE: {clear_for: 0s}
                  RECEIVER_DISCONNECTED: {clear_for: 3s}
                  STANDBY_MISSING: {clear_for: 3s}
                  SYNC_STANDBY_MISSING: {clear_for: 3s}
                """, "");
        transitions = pipe.transitions;
    }

    @AfterAll
    static void down() throws InterruptedException {
        SandboxPipeline.closeAll(pipe, sandbox);
    }

    private static HealthTransition awaitTransition(final String node, final int after, final Duration within,
                                                    final Predicate<HealthTransition> test) {
        return pipe.awaitTransition(node, after, within, test);
    }

    private static List<String> rules(final HealthTransition t) {
        return SandboxPipeline.rules(t);
    }

    private static JsonNode api(final String path) throws Exception {
        final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + pipe.processor.httpPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? new ObjectMapper().readTree(r.body()) : null;
    }

    @Test
    @Order(1)
    void everyNodeBecomesHealthyAndTheApiSaysSo() throws Exception {
        for (final String n : List.of("primary", "standby1", "standby2")) {
            awaitTransition(n, 0, Duration.ofSeconds(60), t -> t.getToState() == HealthState.HEALTHY);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            final JsonNode c = api("/api/v1/clusters/sandbox");
            return c != null && c.path("state").asText().equals("HEALTHY") && c.path("nodes").size() == 3;
        });
        final JsonNode s1 = api("/api/v1/clusters/sandbox/nodes/standby1");
        assertThat(s1.path("state").asText()).isEqualTo("HEALTHY");
        assertThat(s1.path("role").asText()).isEqualTo("STANDBY");
        assertThat(api("/api/v1/clusters").get(0).path("cluster").asText()).isEqualTo("sandbox");
        assertThat(api("/api/v1/clusters/nope")).isNull();
    }

    @Test
    @Order(2)
    void aRestartedProcessorRestoresItsStateWithoutRepeatingTransitions() throws Exception {
        pipe.processor.close();
        final int mark = transitions.size();
        pipe.processor = new ProcessorService(pipe.config).start();
        pipe.processor.awaitRunning(Duration.ofSeconds(60));
        // Samples keep arriving; a processor that forgot its state would announce UNKNOWN -> HEALTHY again.
        await().during(Duration.ofSeconds(15)).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                .until(() -> transitions.size() == mark);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            final JsonNode c = api("/api/v1/clusters/sandbox");
            return c != null && c.path("state").asText().equals("HEALTHY");
        });
    }

    /**
     * Issue 17, on real PostgreSQL: another database system collected under this cluster's name is
     * CLUSTER_IDENTITY_CONFLICT (no FAILOVER, no SPLIT_BRAIN), and a collector whose clock runs 10 minutes ahead is
     * CLOCK_SKEW with its samples still used, and so is one whose clock runs 10 minutes behind. The levers: a second,
     * independent PostgreSQL (its own system identifier), and collectors given a clock 10 minutes fast and slow.
     */
    @Test
    @Order(3)
    void anotherSystemUnderTheSameNameAndACollectorClockAheadAreNamed() throws Exception {
        final int mark = transitions.size();
        try (Sandbox other = Sandbox.builder().tempDir("processor-it-other-").kafka(false).registry(false).standbys(0).start()) {
            final PgNode foreign = other.postgres().nodes().get(0);
            final var m = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            final CollectorConfig intruder = oneNode("processor-it-intruder", "sandbox", "intruder", foreign.port());
            try (SamplePublisher publisher = new SamplePublisher(intruder.kafka(), intruder.registry(), Topics.SAMPLES, m);
                 Collector collector = new Collector(intruder, publisher::publish, m)) {
                collector.start();
                final HealthTransition conflict = awaitTransition("intruder", mark, Duration.ofSeconds(30),
                        t -> rules(t).contains(Rules.CLUSTER_IDENTITY_CONFLICT));
                assertThat(conflict.getToState()).isEqualTo(HealthState.WARNING);
                assertThat(conflict.getCluster()).isEqualTo("sandbox");
            }
            final CollectorConfig skewed = oneNode("processor-it-ahead", "skewed", "skewed-node", foreign.port());
            try (SamplePublisher publisher = new SamplePublisher(skewed.kafka(), skewed.registry(), Topics.SAMPLES, m);
                 Collector ahead = new Collector(skewed, publisher::publish, m, () -> System.currentTimeMillis() + 600_000)) {
                ahead.start();
                final HealthTransition skew = awaitTransition("skewed-node", mark, Duration.ofSeconds(30),
                        t -> rules(t).contains(Rules.CLOCK_SKEW));
                assertThat(skew.getToState()).isEqualTo(HealthState.WARNING);
                assertThat(skew.getAt().toEpochMilli()).as("taken at the processor's time, not 10 minutes ahead")
                        .isLessThan(System.currentTimeMillis() + 60_000);
            }
            // 10 minutes slow, steadily: told from a backlog by PostgreSQL's clock (server_time) in the same sample.
            final CollectorConfig late = oneNode("processor-it-behind", "skewed-slow", "slow-node", foreign.port());
            try (SamplePublisher publisher = new SamplePublisher(late.kafka(), late.registry(), Topics.SAMPLES, m);
                 Collector behind = new Collector(late, publisher::publish, m, () -> System.currentTimeMillis() - 600_000)) {
                behind.start();
                final HealthTransition skew = awaitTransition("slow-node", mark, Duration.ofSeconds(30),
                        t -> rules(t).contains(Rules.CLOCK_SKEW));
                assertThat(skew.getToState()).isEqualTo(HealthState.WARNING);
                assertThat(skew.getAt().toEpochMilli()).as("taken at PostgreSQL's time, not 10 minutes behind")
                        .isGreaterThan(System.currentTimeMillis() - 60_000);
                assertThat(skew.getReasons()).filteredOn(r -> r.getRule().equals(Rules.CLOCK_SKEW)).singleElement()
                        .satisfies(r -> assertThat(r.getMessage()).containsPattern("(599|600|601) s behind"));
            }
        }
        final List<HealthTransition> since = transitions.subList(mark, transitions.size());
        assertThat(since).as("no failover or split brain for a foreign system")
                .noneMatch(t -> rules(t).contains(Rules.FAILOVER) || rules(t).contains(Rules.SPLIT_BRAIN));
    }

    /** A collector of one node on this sandbox's Kafka and registry, polling every 500 ms. */
    private static CollectorConfig oneNode(final String collectorId, final String cluster, final String node, final int port) {
        return CollectorConfig.parse("""
                collector_id: %s
                poll_interval: 500ms
                http_port: -1
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                defaults: {host: 127.0.0.1, user: monitor, password: monitor}
                clusters:
                  - name: %s
                    nodes: [{name: %s, port: %d}]
                """.formatted(collectorId, sandbox.kafka().bootstrapServers(), sandbox.registry().url(), cluster, node,
                port), k -> null);
    }

    // The idle primary (no transition while nothing is written) is proven for ten minutes, with the default
    // lag window, by local's chaos/PostgresFaultsIT, which runs the same collector and processor.

    @Test
    @Order(4)
    void pausedReplayIsStalledThenCriticalAndResumeIsHealthy() throws Exception {
        final int mark = transitions.size();
        pg.pauseReplay("standby2");
        final AtomicBoolean writing = new AtomicBoolean(true);
        final Thread writer = new Thread(() -> {
            while (writing.get()) {
                pg.generateWal(1);
            }
        });
        writer.start();
        try {
            final HealthTransition warn = awaitTransition("standby2", mark, Duration.ofSeconds(30),
                    t -> t.getToState() == HealthState.WARNING);
            assertThat(rules(warn)).contains(Rules.REPLAY_PAUSED);
            final HealthTransition crit = awaitTransition("standby2", mark, Duration.ofSeconds(30),
                    t -> t.getToState() == HealthState.CRITICAL);
            assertThat(rules(crit)).contains(Rules.REPLAY_STALLED, Rules.REPLAY_PAUSED);
            assertThat(crit.getReasons()).filteredOn(r -> r.getRule().equals(Rules.REPLAY_STALLED))
                    .singleElement().satisfies(r -> assertThat(r.getValue()).isGreaterThanOrEqualTo(5000));
        } finally {
            writing.set(false);
            writer.join();
        }
        final int resumed = transitions.size();
        pg.resumeReplay("standby2");
        awaitTransition("standby2", resumed, Duration.ofSeconds(30), t -> t.getToState() == HealthState.HEALTHY);
    }

    @Test
    @Order(5)
    void aStoppedStandbyIsDownAndComesBack() {
        final int mark = transitions.size();
        pg.stop("standby2");
        final HealthTransition down = awaitTransition("standby2", mark, Duration.ofSeconds(15),
                t -> t.getToState() == HealthState.DOWN);
        assertThat(rules(down)).contains(Rules.NODE_UNREACHABLE);
        pg.start("standby2");
        awaitTransition("standby2", mark, Duration.ofSeconds(30), t -> t.getToState() == HealthState.HEALTHY);
    }

    @Test
    @Order(6)
    void promotionIsAFailover() {
        final int mark = transitions.size();
        pg.promote("standby2");
        final HealthTransition t = awaitTransition("standby2", mark, Duration.ofSeconds(20),
                x -> rules(x).contains(Rules.FAILOVER));
        assertThat(t.getRole()).isEqualTo("PRIMARY");
        // The old primary still runs: two primaries at once.
        assertThat(rules(t)).contains(Rules.SPLIT_BRAIN);
    }
}
