package io.replwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.SlotRow;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.PostgresCluster;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.SerdeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The collector against real PostgreSQL replication, publishing through a real broker and registry; every
 * assertion reads samples back from replwatch.samples.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CollectorIT {

    private static final Duration INTERVAL = Duration.ofMillis(250);
    private static Sandbox sandbox;
    private static PostgresCluster pg;
    private static CollectorService service;
    private static final List<ReplicationSample> samples = new CopyOnWriteArrayList<>();
    private static Thread consumerThread;
    private static volatile boolean consuming = true;

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.builder().tempDir("collector-it-").standbys(2).start();
        pg = sandbox.postgres();
        final StringBuilder yaml = new StringBuilder("""
                collector_id: it
                poll_interval: 250ms
                connect_timeout: 1s
                statement_timeout: 1s
                http_port: 0
                kafka:
                  bootstrap.servers: %s
                schema_registry:
                  url: %s
                defaults:
                  host: 127.0.0.1
                  user: monitor
                  password: ${MONITOR_PASSWORD}
                clusters:
                  - name: sandbox
                    labels: {env: it}
                    nodes:
                """.formatted(sandbox.kafka().bootstrapServers(), sandbox.registry().url()));
        for (final PgNode n : pg.nodes()) {
            yaml.append("      - {name: ").append(n.name()).append(", port: ").append(n.port()).append("}\n");
        }
        yaml.append("""
                  - name: unprivileged
                    nodes:
                      - {name: primary, port: %d, user: nomonitor, password: nomonitor}
                """.formatted(pg.primary().port()));
        final CollectorConfig cfg = CollectorConfig.parse(yaml.toString(),
                k -> k.equals("MONITOR_PASSWORD") ? PgNode.MONITOR_PASSWORD : null);
        service = new CollectorService(cfg).start();
        consumerThread = new Thread(CollectorIT::consume, "it-consumer");
        consumerThread.start();
    }

    private static void consume() {
        final Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, sandbox.kafka().bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "collector-it");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final AvroDeserializer<ReplicationSample> de = new AvroDeserializer<>(ReplicationSample.class);
        de.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, sandbox.registry().url()), false);
        try (KafkaConsumer<String, ReplicationSample> c = new KafkaConsumer<>(p, new StringDeserializer(), de)) {
            c.subscribe(List.of(Topics.SAMPLES));
            while (consuming) {
                for (final ConsumerRecord<String, ReplicationSample> r : c.poll(Duration.ofMillis(100))) {
                    assertThat(r.key()).isEqualTo(r.value().getCluster());
                    samples.add(r.value());
                }
            }
        }
    }

    @AfterAll
    static void down() throws InterruptedException {
        consuming = false;
        if (consumerThread != null) {
            consumerThread.join(5000);
        }
        if (service != null) {
            service.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    /** The newest sample of a node that satisfies {@code test}, waiting for it. */
    private static ReplicationSample awaitSample(final String cluster, final String node, final Duration within,
                                                 final Predicate<ReplicationSample> test) {
        final long since = System.currentTimeMillis();
        final ReplicationSample[] found = new ReplicationSample[1];
        await().atMost(within).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int i = samples.size() - 1; i >= 0; i--) {
                final ReplicationSample s = samples.get(i);
                if (s.getCluster().equals(cluster) && s.getNode().equals(node)
                        && s.getSampledAt().toEpochMilli() >= since && test.test(s)) {
                    found[0] = s;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static ReplicationSample latestOk(final String node) {
        return awaitSample("sandbox", node, Duration.ofSeconds(15), s -> s.getStatus() == PollStatus.OK);
    }

    @Test
    @Order(1)
    void primarySampleCarriesBothReplicasSyncAndAsyncAndBothSlots() {
        final ReplicationSample s = latestOk("primary");
        assertThat(s.getInRecovery()).isFalse();
        assertThat(s.getWalLsn()).isPositive();
        assertThat(s.getTimeline()).isEqualTo(1);
        assertThat(s.getSystemIdentifier()).isNotNull();
        assertThat(s.getLabels()).containsEntry("env", "it");
        assertThat(s.getReplicas()).extracting(ReplicaRow::getApplicationName, ReplicaRow::getSyncState,
                        ReplicaRow::getState)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("standby1", "sync", "streaming"),
                        org.assertj.core.groups.Tuple.tuple("standby2", "async", "streaming"));
        assertThat(s.getReplicas()).allSatisfy(r -> assertThat(r.getReplayLsn()).isPositive());
        assertThat(s.getSlots()).extracting(SlotRow::getSlotName, SlotRow::getActive, SlotRow::getWalStatus)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("standby1", true, "reserved"),
                        org.assertj.core.groups.Tuple.tuple("standby2", true, "reserved"));
        assertThat(s.getSettings().getSynchronousStandbyNames()).isEqualTo("FIRST 1 (standby1)");
        assertThat(s.getSettings().getMaxWalSenders()).isEqualTo(10);
        assertThat(s.getServerVersionNum()).isGreaterThanOrEqualTo(100000);

        final ReplicationSample st = latestOk("standby1");
        assertThat(st.getInRecovery()).isTrue();
        assertThat(st.getWalLsn()).isNull();
        assertThat(st.getStandby().getWalReceiver().getStatus()).isEqualTo("streaming");
        assertThat(st.getStandby().getWalReceiver().getApplicationName()).isEqualTo("standby1");
        assertThat(st.getStandby().getWalReceiver().getSlotName()).isEqualTo("standby1");
        assertThat(st.getStandby().getReplayPaused()).isFalse();
        assertThat(st.getSystemIdentifier()).isEqualTo(s.getSystemIdentifier());
        assertThat(st.getSettings().getPrimarySlotName()).isEqualTo("standby1");
    }

    @Test
    @Order(2)
    void sequencesHaveNoGapsPerNode() {
        awaitSample("sandbox", "standby2", Duration.ofSeconds(10), s -> s.getSequence() > 5);
        final Map<String, List<Long>> byNode = samples.stream().collect(Collectors.groupingBy(
                s -> s.getCluster() + "/" + s.getNode(), Collectors.mapping(ReplicationSample::getSequence,
                        Collectors.toList())));
        for (final Map.Entry<String, List<Long>> e : byNode.entrySet()) {
            final List<Long> seqs = new ArrayList<>(e.getValue());
            seqs.sort(Comparator.naturalOrder());
            for (int i = 0; i < seqs.size(); i++) {
                assertThat(seqs.get(i)).as("sequence %d of %s", i, e.getKey()).isEqualTo(i + 1L);
            }
        }
    }

    @Test
    @Order(3)
    void pausedReplayFreezesReplayWhileThePrimaryMoves() {
        pg.pauseReplay("standby2");
        final ReplicationSample paused = awaitSample("sandbox", "standby2", Duration.ofSeconds(10),
                s -> s.getStatus() == PollStatus.OK && Boolean.TRUE.equals(s.getStandby().getReplayPaused()));
        final long frozen = paused.getStandby().getReplayLsn();
        pg.generateWal(2);
        final ReplicationSample primary = latestOk("primary");
        final ReplicationSample later = awaitSample("sandbox", "standby2", Duration.ofSeconds(10),
                s -> s.getStatus() == PollStatus.OK && s.getStandby().getReceiveLsn() >= primary.getWalLsn() - 1024 * 1024);
        assertThat(later.getStandby().getReplayLsn()).isEqualTo(frozen);
        assertThat(primary.getWalLsn() - frozen).isGreaterThanOrEqualTo(2L << 20);
        pg.resumeReplay("standby2");
        awaitSample("sandbox", "standby2", Duration.ofSeconds(15),
                s -> s.getStatus() == PollStatus.OK && s.getStandby().getReplayLsn() >= primary.getWalLsn());
    }

    @Test
    @Order(4)
    void cutLinkShowsTheReceiverNotStreaming() {
        pg.cutLink("standby2");
        final ReplicationSample cut = awaitSample("sandbox", "standby2", Duration.ofSeconds(20),
                s -> s.getStatus() == PollStatus.OK && (s.getStandby().getWalReceiver() == null
                        || !"streaming".equals(s.getStandby().getWalReceiver().getStatus())));
        assertThat(cut.getInRecovery()).isTrue();
        awaitSample("sandbox", "primary", Duration.ofSeconds(20), s -> s.getStatus() == PollStatus.OK
                && s.getReplicas().stream().noneMatch(r -> "standby2".equals(r.getApplicationName())));
        pg.restoreLink("standby2");
        awaitSample("sandbox", "standby2", Duration.ofSeconds(30), s -> s.getStatus() == PollStatus.OK
                && s.getStandby().getWalReceiver() != null
                && "streaming".equals(s.getStandby().getWalReceiver().getStatus()));
    }

    @Test
    @Order(5)
    void userWithoutPgMonitorGivesPermissionDeniedNamingTheGrant() {
        final ReplicationSample s = awaitSample("unprivileged", "primary", Duration.ofSeconds(10), x -> true);
        assertThat(s.getStatus()).isEqualTo(PollStatus.PERMISSION_DENIED);
        assertThat(s.getMessage()).contains("GRANT pg_monitor TO nomonitor");
    }

    @Test
    @Order(6)
    void stoppedStandbyIsUnreachableWithinOneIntervalPlusTheTimeout() {
        final long stoppedAt = System.currentTimeMillis();
        pg.stop("standby2");
        final ReplicationSample s = awaitSample("sandbox", "standby2",
                INTERVAL.plus(Duration.ofSeconds(1)).plus(Duration.ofSeconds(2)),
                x -> x.getStatus() == PollStatus.UNREACHABLE);
        assertThat(s.getSampledAt().toEpochMilli() - stoppedAt).isLessThan(INTERVAL.toMillis() + 1000 + 500);
        assertThat(s.getMessage()).contains("127.0.0.1:" + pg.node("standby2").port()).doesNotContain("monitor@");
        pg.start("standby2");
        latestOk("standby2");
    }

    @Test
    @Order(7)
    void promotionShowsOutOfRecoveryOnTheNextTimeline() {
        pg.promote("standby2");
        final ReplicationSample s = awaitSample("sandbox", "standby2", Duration.ofSeconds(15),
                x -> x.getStatus() == PollStatus.OK && Boolean.FALSE.equals(x.getInRecovery()));
        assertThat(s.getTimeline()).isEqualTo(2);
        assertThat(s.getWalLsn()).isPositive();
        assertThat(s.getStandby()).isNull();
    }

    @Test
    @Order(8)
    void metricsAndHealthAreServed() throws Exception {
        final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        final String metrics = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + service.httpPort() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("replwatch_collector_poll_duration_seconds{quantile=\"0.99\"")
                .contains("replwatch_collector_samples_published_total")
                .contains("replwatch_collector_poll_failures_total{cluster=\"unprivileged\",node=\"primary\","
                        + "status=\"PERMISSION_DENIED\"}")
                .contains("replwatch_collector_nodes_configured 4.0")
                .doesNotContain(PgNode.MONITOR_PASSWORD + "@");
        final var health = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + service.httpPort() + "/health")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"nodes_configured\":4");
    }
}
