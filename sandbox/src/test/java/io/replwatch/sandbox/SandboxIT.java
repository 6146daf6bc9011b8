package io.replwatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.serde.RestSchemaRegistryClient;
import io.replwatch.serde.SchemaRegistryClient;
import io.replwatch.serde.SerdeConfig;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The whole sandbox on loopback: real broker, real registry, real PostgreSQL replication, and every lever. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SandboxIT {

    private static Sandbox sandbox;
    private static PostgresCluster pg;

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.builder().tempDir("sandbox-it-").standbys(2).start();
        pg = sandbox.postgres();
    }

    @AfterAll
    static void down() {
        if (sandbox != null) {
            final Path dir = sandbox.dir();
            final List<Long> pids = sandbox.pids();
            sandbox.close();
            // No process outlives close(), and the data is gone.
            await().atMost(Duration.ofSeconds(15)).until(() -> pids.stream()
                    .noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));
            assertThat(dir).doesNotExist();
        }
    }

    @Test
    @Order(1)
    void producesAndConsumesThroughTheBroker() {
        final String topic = "it-" + UUID.randomUUID();
        final Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, sandbox.kafka().bootstrapServers());
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
            }
            producer.flush();
        }
        final Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, sandbox.kafka().bootstrapServers());
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, "it");
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            final List<String> seen = new java.util.ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (final ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(r.value());
                }
                return seen.size() >= 10;
            });
            assertThat(seen).containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
        }
    }

    @Test
    @Order(2)
    void registersAndFetchesASchemaWithOurClient() {
        final RestSchemaRegistryClient client = new RestSchemaRegistryClient(
                new SerdeConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, sandbox.registry().url())));
        final int id = client.register("sandbox-it-value", ReplicationSample.SCHEMA$);
        assertThat(client.register("sandbox-it-value", ReplicationSample.SCHEMA$)).isEqualTo(id);
        assertThat(client.getById(id)).isEqualTo(ReplicationSample.SCHEMA$);
        final SchemaRegistryClient.SchemaVersion latest = client.latest("sandbox-it-value");
        assertThat(latest.id()).isEqualTo(id);
        assertThat(latest.version()).isEqualTo(1);
        assertThat(client.lookup("sandbox-it-value", ReplicationSample.SCHEMA$)).isEqualTo(id);
    }

    @Test
    @Order(3)
    void twoStandbysStreamOneSyncOneAsync() {
        final List<Map<String, String>> rows = pg.primary().query(
                "SELECT application_name, state, sync_state FROM pg_stat_replication ORDER BY application_name");
        assertThat(rows).containsExactly(
                Map.of("application_name", "standby1", "state", "streaming", "sync_state", "sync"),
                Map.of("application_name", "standby2", "state", "streaming", "sync_state", "async"));
        assertThat(pg.primary().query("SELECT slot_name, active::text FROM pg_replication_slots ORDER BY slot_name"))
                .containsExactly(Map.of("slot_name", "standby1", "active", "true"),
                        Map.of("slot_name", "standby2", "active", "true"));
        for (final PgNode s : pg.standbys()) {
            assertThat(s.queryOne("SELECT pg_is_in_recovery()")).isEqualTo("t");
        }
        // The monitoring role sees LSNs; the unprivileged one sees NULLs (what the collector must flag).
        assertThat(queryAs(pg.primary(), PgNode.MONITOR_USER, PgNode.MONITOR_PASSWORD,
                "SELECT count(sent_lsn) FROM pg_stat_replication")).isEqualTo("2");
        assertThat(queryAs(pg.primary(), PgNode.UNPRIVILEGED_USER, PgNode.UNPRIVILEGED_PASSWORD,
                "SELECT count(sent_lsn) FROM pg_stat_replication")).isEqualTo("0");
    }

    @Test
    @Order(4)
    void pausedReplayFreezesTheStandbysReplayLsnWhileThePrimaryMoves() {
        pg.pauseReplay("standby2");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                "paused".equals(pg.node("standby2").queryOne("SELECT pg_get_wal_replay_pause_state()")));
        final BigDecimal replayBefore = lsn(pg.node("standby2"), "pg_last_wal_replay_lsn()");
        final BigDecimal primaryBefore = lsn(pg.primary(), "pg_current_wal_lsn()");
        pg.generateWal(2);
        final BigDecimal primaryAfter = lsn(pg.primary(), "pg_current_wal_lsn()");
        assertThat(primaryAfter.subtract(primaryBefore)).isGreaterThanOrEqualTo(BigDecimal.valueOf(2L << 20));
        // Receive keeps up; replay stays put.
        await().atMost(Duration.ofSeconds(10)).until(() ->
                lsn(pg.node("standby2"), "pg_last_wal_receive_lsn()").compareTo(primaryAfter) >= 0);
        assertThat(lsn(pg.node("standby2"), "pg_last_wal_replay_lsn()")).isEqualTo(replayBefore);

        pg.resumeReplay("standby2");
        await().atMost(Duration.ofSeconds(20)).until(() ->
                lsn(pg.node("standby2"), "pg_last_wal_replay_lsn()").compareTo(primaryAfter) >= 0);
    }

    @Test
    @Order(5)
    void cutLinkStopsTheReceiverAndDropsTheSendersRow() {
        pg.cutLink("standby2");
        await().atMost(Duration.ofSeconds(20)).until(() -> pg.primary().queryOne(
                "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'standby2'").equals("0"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !"streaming".equals(
                pg.node("standby2").queryOne("SELECT status FROM pg_stat_wal_receiver")));
        // The standby itself is up and still in recovery: only the link is gone.
        assertThat(pg.node("standby2").queryOne("SELECT pg_is_in_recovery()")).isEqualTo("t");

        pg.restoreLink("standby2");
        await().atMost(Duration.ofSeconds(30)).until(() -> "streaming".equals(pg.primary().queryOne(
                "SELECT state FROM pg_stat_replication WHERE application_name = 'standby2'")));
    }

    @Test
    @Order(6)
    void stoppedStandbyRefusesConnectionsAndComesBack() {
        pg.stop("standby2");
        assertThat(pg.node("standby2").isUp()).isFalse();
        await().atMost(Duration.ofSeconds(20)).until(() -> pg.primary().queryOne(
                "SELECT active::text FROM pg_replication_slots WHERE slot_name = 'standby2'").equals("false"));
        pg.start("standby2");
        await().atMost(Duration.ofSeconds(30)).until(() -> "streaming".equals(pg.primary().queryOne(
                "SELECT state FROM pg_stat_replication WHERE application_name = 'standby2'")));
    }

    @Test
    @Order(7)
    void anInactiveSlotRetainsGrowingWal() {
        pg.createSlot("forgotten");
        final long before = pg.slotRetainedBytes("forgotten");
        pg.generateWal(3);
        final long after = pg.slotRetainedBytes("forgotten");
        assertThat(after - before).isGreaterThanOrEqualTo(3L << 20);
        assertThat(pg.primary().queryOne("SELECT active::text FROM pg_replication_slots WHERE slot_name = 'forgotten'"))
                .isEqualTo("false");
        pg.dropSlot("forgotten");
        assertThat(pg.slotRetainedBytes("forgotten")).isEqualTo(-1);
    }

    @Test
    @Order(8)
    void promotionLeavesRecoveryOnTheNextTimeline() {
        final String before = pg.node("standby2").queryOne("SELECT timeline_id FROM pg_control_checkpoint()");
        pg.promote("standby2");
        assertThat(pg.node("standby2").queryOne("SELECT pg_is_in_recovery()")).isEqualTo("f");
        assertThat(Integer.parseInt(pg.node("standby2").queryOne("SELECT timeline_id FROM pg_control_checkpoint()")))
                .isEqualTo(Integer.parseInt(before) + 1);
    }

    private static BigDecimal lsn(final PgNode node, final String expr) {
        return new BigDecimal(node.queryOne("SELECT " + expr + " - '0/0'"));
    }

    private static String queryAs(final PgNode node, final String user, final String password, final String sql) {
        try (var c = node.connect(user, password); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (final java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }
}
