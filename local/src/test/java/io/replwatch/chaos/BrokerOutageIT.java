package io.replwatch.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.collector.CollectorService;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.TopicReader;
import io.replwatch.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Chaos, broker: the Kafka broker is killed for 20 s and restarted while the collector polls the sandbox's
 * primary and standbys every second under a steady write load. Counted, not eyeballed: every sample the
 * collector counted as acknowledged is in replwatch.samples, each node's sequence numbers have no gap from its
 * first sample to its last, and the collector dropped nothing. (RELIABILITY.md, row "broker down 20 s".)
 */
@Tag("chaos")
class BrokerOutageIT {

    @Test
    void brokerDownTwentySecondsLosesNoSample() throws Exception {
        try (Sandbox sandbox = Sandbox.builder().tempDir("chaos-broker-").standbys(2).start()) {
            final String bootstrap = sandbox.kafka().bootstrapServers();
            try (Admin a = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                a.createTopics(List.of(new NewTopic(Topics.SAMPLES, 3, (short) 1))).all().get();
            }
            final String nodes = sandbox.postgres().nodes().stream()
                    .map(n -> "      - {name: " + n.name() + ", host: " + n.host() + ", port: " + n.port() + "}")
                    .collect(Collectors.joining("\n"));
            final CollectorConfig cfg = CollectorConfig.parse("""
                    collector_id: chaos
                    poll_interval: 1s
                    http_port: -1
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    defaults: {user: %s, password: %s}
                    clusters:
                      - name: chaos
                        nodes:
                    %s
                    """.formatted(bootstrap, sandbox.registry().url(), PgNode.MONITOR_USER, PgNode.MONITOR_PASSWORD,
                    nodes), k -> null);
            final AtomicBoolean load = new AtomicBoolean(true);
            final Thread writer = new Thread(() -> {
                while (load.get()) {
                    try {
                        sandbox.postgres().generateWal(1);
                        Thread.sleep(500);
                    } catch (final InterruptedException e) {
                        return;
                    } catch (final RuntimeException e) {
                        // keep the load going
                    }
                }
            }, "chaos-load");
            writer.start();
            final CollectorService collector = new CollectorService(cfg).start();
            final long acked;
            final double dropped;
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> collector.publisher().acknowledged() >= 15);
                sandbox.kafka().kill();
                final long ackedAtKill = collector.publisher().acknowledged();
                Thread.sleep(20_000);
                assertThat(collector.publisher().backlog()).as("samples buffered while the broker is down")
                        .isGreaterThanOrEqualTo(30);
                final long restartAt = System.nanoTime();
                sandbox.kafka().restart(true, Duration.ofSeconds(90));
                await().atMost(Duration.ofSeconds(120)).until(() -> collector.publisher().acknowledged() > ackedAtKill + 60);
                System.out.printf("CHAOS broker down 20 s: %d samples buffered, the backlog was delivered %.1f s after the restart began%n",
                        collector.publisher().acknowledged() - ackedAtKill, (System.nanoTime() - restartAt) / 1e9);
            } finally {
                load.set(false);
                writer.join(10_000);
                collector.collector().close();
                collector.publisher().flush();
                acked = collector.publisher().acknowledged();
                dropped = dropped(collector);
                collector.close();
            }
            assertThat(dropped).as("samples the collector dropped").isZero();

            final List<ReplicationSample> all = readAll(bootstrap, sandbox.registry().url());
            assertThat((long) all.size()).as("samples in the topic = samples acknowledged").isEqualTo(acked);
            final Map<String, TreeSet<Long>> seqs = new HashMap<>();
            for (final ReplicationSample s : all) {
                assertThat(seqs.computeIfAbsent(s.getNode(), k -> new TreeSet<>()).add(s.getSequence()))
                        .as("%s sequence %d once", s.getNode(), s.getSequence()).isTrue();
            }
            assertThat(seqs).hasSize(3);
            for (final Map.Entry<String, TreeSet<Long>> e : seqs.entrySet()) {
                final TreeSet<Long> s = e.getValue();
                assertThat((long) s.size()).as("%s: no gap from %d to %d", e.getKey(), s.first(), s.last())
                        .isEqualTo(s.last() - s.first() + 1);
                // About 5 s before the kill, the 20 s outage, and the seconds until 60 more were acknowledged.
                assertThat(s.size()).as("%s polled through the outage", e.getKey()).isGreaterThanOrEqualTo(30);
            }
            assertThat(all).allMatch(s -> s.getStatus() == PollStatus.OK);
        }
    }

    private static double dropped(final CollectorService c) {
        final var m = c.metrics().find("replwatch_collector_samples_dropped").counter();
        return m == null ? 0 : m.count();
    }

    private static List<ReplicationSample> readAll(final String bootstrap, final String registry) {
        return TopicReader.values(bootstrap, registry, Topics.SAMPLES, ReplicationSample.class);
    }
}
