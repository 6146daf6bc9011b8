package io.replwatch.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.replwatch.alerter.AlerterService;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.collector.CollectorService;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.processor.ProcessorService;
import io.replwatch.processor.config.ProcessorConfig;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.TopicReader;
import io.replwatch.schemas.Topics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Chaos, schema registry (issue 17): the registry hangs (SIGSTOP) for 30 s while samples flow, and a processor and
 * an alerter start during the outage with nothing cached, so every record they read needs the registry. A standby
 * is stopped in the middle of it. Before, a registry that could not be reached made the processor and the alerter
 * dead-letter good records and commit past them (the page for the standby was lost). Counted: no dead letter, no
 * sample dropped or missing, the standby's DOWN transition and its notification delivered once the registry is back.
 */
@Tag("chaos")
class RegistryOutageIT {

    @Test
    void registryDownThirtySecondsLosesNothing() throws Exception {
        final List<String> notifications = new CopyOnWriteArrayList<>();
        final HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        hook.createContext("/hook", ex -> {
            notifications.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        hook.start();
        try (Sandbox sandbox = Sandbox.builder().tempDir("chaos-registry-").standbys(1).start()) {
            final String bootstrap = sandbox.kafka().bootstrapServers();
            final String registry = sandbox.registry().url();
            // Short registry timeouts: the outage is seen quickly, and waited out, not turned into dead letters.
            final String kafka = """
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s", schema.registry.request.timeout.ms: "2000", schema.registry.max.retries: "1"}
                    """.formatted(bootstrap, registry);
            final String nodes = sandbox.postgres().nodes().stream()
                    .map(n -> "      - {name: " + n.name() + ", host: " + n.host() + ", port: " + n.port() + "}")
                    .collect(Collectors.joining("\n"));
            final CollectorService collector = new CollectorService(CollectorConfig.parse("""
                    collector_id: chaos-registry
                    poll_interval: 1s
                    http_port: -1
                    %sdefaults: {user: %s, password: %s}
                    clusters:
                      - name: chaos
                        nodes:
                    %s
                    """.formatted(kafka, PgNode.MONITOR_USER, PgNode.MONITOR_PASSWORD, nodes), k -> null)).start();
            final String processorYaml = """
                    application_id: chaos-registry
                    http_port: 0
                    state_dir: %s
                    partitions: 1
                    %srules:
                      NODE_UNREACHABLE: {clear_for: 0s}
                    """;
            // Serdes with the same registry settings share one client and cache in a JVM: the instances started
            // during the outage use other settings (a timeout of 2001 ms), so they start with nothing cached, as a
            // processor or alerter restarted in its own JVM would.
            final String cold = kafka.replace("\"2000\"", "\"2001\"");
            final String alerterYaml = """
                    group_id: chaos-registry-alerter
                    http_port: 0
                    %sroute: {receiver: hook, group_by: [cluster, node], group_wait: 0s, group_interval: 1s}
                    receivers:
                      - {name: hook, type: webhook, url: "http://127.0.0.1:%d/hook"}
                    """.formatted(cold, hook.getAddress().getPort());
            final java.nio.file.Path streams = sandbox.dir().resolve("streams");
            final String standby = sandbox.postgres().nodes().get(1).name();
            try {
                // Warm up: every schema registered once (samples, transitions, node health ...).
                try (ProcessorService warm = new ProcessorService(ProcessorConfig.parse(
                        processorYaml.formatted(streams, kafka), k -> null)).start()) {
                    warm.awaitRunning(Duration.ofSeconds(60));
                    await().atMost(Duration.ofSeconds(60)).until(() ->
                            TopicReader.values(bootstrap, registry, Topics.HEALTH_TRANSITIONS, HealthTransition.class).size() >= 2);
                }
                final long pid = sandbox.registry().pid();
                signal("STOP", pid);
                final long stoppedAt = System.nanoTime();
                try (ProcessorService processor = new ProcessorService(ProcessorConfig.parse(
                        processorYaml.formatted(streams, cold), k -> null)).start();
                     AlerterService alerter = new AlerterService(AlerterConfig.parse(alerterYaml, k -> null)).start()) {
                    // The cold alerter is waiting on the registry (it counts each wait) before the standby goes down.
                    await().atMost(Duration.ofSeconds(30)).until(() -> {
                        final var waits = alerter.registry().find("replwatch.alerter.transitions")
                                .tag("outcome", "registry_wait").counter();
                        return waits != null && waits.count() >= 1;
                    });
                    sandbox.postgres().stop(standby);
                    final long leverAt = System.nanoTime();
                    // The fault itself lasts 30 s from SIGSTOP: this paces the lever, it waits on no outcome.
                    Thread.sleep(Math.max(0, 30_000 - (System.nanoTime() - stoppedAt) / 1_000_000));
                    signal("CONT", pid);
                    final long resumedAt = System.nanoTime();
                    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() ->
                            notifications.stream().anyMatch(n -> n.contains(standby) && n.contains("DOWN")));
                    System.out.printf("CHAOS registry hung 30 s: standby stopped %.1f s into it; its DOWN notification "
                                    + "arrived %.1f s after the registry resumed (%.1f s after the lever)%n",
                            (leverAt - stoppedAt) / 1e9, (System.nanoTime() - resumedAt) / 1e9,
                            (System.nanoTime() - leverAt) / 1e9);
                    assertThat(TopicReader.values(bootstrap, registry, Topics.HEALTH_TRANSITIONS, HealthTransition.class))
                            .anyMatch(t -> t.getNode().equals(standby) && t.getToState() == HealthState.DOWN);
                    assertThat(alerter.health().healthy()).isTrue();
                    assertThat(alerter.registry().find("replwatch.alerter.transitions").tag("outcome", "dead_lettered")
                            .counter()).as("the alerter dead-lettered nothing").isNull();
                }
            } finally {
                signal("CONT", sandbox.registry().pid());
                collector.collector().close();
                collector.publisher().flush();
                collector.close();
                hook.stop(0);
            }
            assertThat(collector.metrics().find("replwatch_collector_samples_dropped").counter().count())
                    .as("samples the collector dropped").isZero();
            assertThat(TopicReader.values(bootstrap, registry, Topics.DEAD_LETTER, DeadLetter.class))
                    .as("dead letters").isEmpty();
            final Map<String, TreeSet<Long>> seqs = new HashMap<>();
            for (final ReplicationSample s : TopicReader.values(bootstrap, registry, Topics.SAMPLES, ReplicationSample.class)) {
                seqs.computeIfAbsent(s.getNode(), k -> new TreeSet<>()).add(s.getSequence());
            }
            for (final Map.Entry<String, TreeSet<Long>> e : seqs.entrySet()) {
                final TreeSet<Long> s = e.getValue();
                assertThat((long) s.size()).as("%s: no gap", e.getKey()).isEqualTo(s.last() - s.first() + 1);
            }
        }
    }

    private static void signal(final String sig, final long pid) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + sig, String.valueOf(pid)).inheritIO().start().waitFor();
    }
}
