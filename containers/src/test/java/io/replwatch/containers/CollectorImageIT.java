package io.replwatch.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.SerdeConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * The collector's image at container level, with Testcontainers' own modules: a PostgreSQL container (the library's
 * PostgreSQLContainer), a Kafka container (its KafkaContainer), the registry image and replwatch/collector on one
 * network. The image's health check goes healthy, it runs as its non-root user, samples reach Kafka in the
 * registry's wire format and decode here, and when the PostgreSQL container is gone the collector keeps
 * publishing samples that say so.
 */
@Tag("chaos")
@Tag("containers")
class CollectorImageIT {

    private static final String VERSION = System.getProperty("replwatch.version", "latest");

    @Test
    void collectorImagePollsAPostgresContainerIntoAKafkaContainer() throws Exception {
        try (Network net = Network.newNetwork();
             PostgreSQLContainer<?> pg = new PostgreSQLContainer<>(DockerImageName.parse("postgres:15"))
                     .withNetwork(net).withNetworkAliases("pg");
             KafkaContainer kafka = new KafkaContainer(DockerImageName.parse("apache/kafka:4.4.0"))
                     .withNetwork(net).withListener("kafka:19092");
             GenericContainer<?> registry = new GenericContainer<>(
                     DockerImageName.parse("apicurio/apicurio-registry-mem:2.6.13.Final"))
                     .withNetwork(net).withNetworkAliases("registry").withExposedPorts(8080)
                     .waitingFor(Wait.forHttp("/apis/ccompat/v7/subjects").forStatusCode(200)
                             .withStartupTimeout(Duration.ofMinutes(2)));
             GenericContainer<?> collector = new GenericContainer<>(
                     DockerImageName.parse("replwatch/collector:" + VERSION))
                     .withNetwork(net)
                     .withEnv("MONITOR_PASSWORD", "monitor-secret")
                     .withCopyToContainer(Transferable.of("""
                             collector_id: tc
                             poll_interval: 1s
                             http_port: 9187
                             http_bind: 0.0.0.0
                             kafka:
                               bootstrap.servers: kafka:19092
                             schema_registry:
                               url: http://registry:8080/apis/ccompat/v7
                             defaults:
                               user: monitor
                               password: ${MONITOR_PASSWORD}
                             clusters:
                               - name: tc
                                 nodes:
                                   - {name: primary, host: pg, port: 5432}
                             """), "/etc/replwatch/config.yaml")
                     .withExposedPorts(9187)
                     .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(2)))) {
            final long t0 = System.nanoTime();
            // The three the collector needs start side by side (Testcontainers' Startables), then the collector.
            Startables.deepStart(pg, kafka, registry).join();
            try (Connection c = DriverManager.getConnection(pg.getJdbcUrl(), pg.getUsername(), pg.getPassword());
                 Statement s = c.createStatement()) {
                s.execute("CREATE ROLE monitor LOGIN PASSWORD 'monitor-secret' IN ROLE pg_monitor");
            }
            collector.start();
            final double started = (System.nanoTime() - t0) / 1e9;

            assertThat(collector.execInContainer("id", "-u").getStdout().trim()).as("the image's user").isEqualTo("10001");

            final List<ReplicationSample> samples = new CopyOnWriteArrayList<>();
            final AtomicBoolean consuming = new AtomicBoolean(true);
            final Thread consumer = new Thread(() -> consume(kafka.getBootstrapServers(),
                    "http://" + registry.getHost() + ":" + registry.getMappedPort(8080) + "/apis/ccompat/v7",
                    samples, consuming), "samples");
            consumer.start();
            try {
                final ReplicationSample ok = await("an OK sample of the PostgreSQL container")
                        .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> samples.stream().filter(x -> x.getStatus() == PollStatus.OK).findFirst().orElse(null),
                                x -> x != null);
                assertThat(ok.getCluster()).isEqualTo("tc");
                assertThat(ok.getNode()).isEqualTo("primary");
                assertThat(ok.getCollectorId()).isEqualTo("tc");
                assertThat(ok.getInRecovery()).isFalse();
                assertThat(ok.getServerVersionNum()).isBetween(150000, 159999);

                final String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                                "http://" + collector.getHost() + ":" + collector.getMappedPort(9187) + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("replwatch_").doesNotContain("monitor-secret");

                // The node's container gone: the collector goes on, and its samples say the node is unreachable.
                final long stop = System.nanoTime();
                pg.stop();
                final ReplicationSample down = await("a sample saying the node cannot be reached")
                        .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> samples.stream().filter(x -> x.getStatus() != PollStatus.OK
                                && x.getSequence() > ok.getSequence()).findFirst().orElse(null), x -> x != null);
                assertThat(down.getMessage().toString()).isNotBlank().doesNotContain("monitor-secret");
                assertThat(collector.isRunning()).isTrue();
                System.out.printf("CollectorImageIT: four containers started in %.1f s; first OK sample; PostgreSQL"
                        + " container removed -> %s sample in %.1f s (%s)%n", started, down.getStatus(),
                        (System.nanoTime() - stop) / 1e9, down.getMessage());
            } finally {
                consuming.set(false);
                consumer.join(10_000);
            }
        }
    }

    private static void consume(final String bootstrap, final String registryUrl, final List<ReplicationSample> out,
                                final AtomicBoolean consuming) {
        final Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "collector-image-it");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final AvroDeserializer<ReplicationSample> de = new AvroDeserializer<>(ReplicationSample.class);
        de.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, registryUrl), false);
        try (KafkaConsumer<String, ReplicationSample> c = new KafkaConsumer<>(p, new StringDeserializer(), de)) {
            c.subscribe(List.of(Topics.SAMPLES));
            while (consuming.get()) {
                for (final ConsumerRecord<String, ReplicationSample> r : c.poll(Duration.ofMillis(200))) {
                    out.add(r.value());
                }
            }
        }
    }
}
