package io.replwatch.alerter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerializer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * From the sandbox's real broker and registry to a real local webhook: delivery with the idempotency key, a
 * poison pill dead-lettered while processing continues, offsets committed after delivery, silences through the
 * HTTP API, and a restart that re-reads every transition from the beginning yet repeats nothing.
 */
class AlerterIT {

    private static Sandbox sandbox;
    private static String bootstrap;
    private static String registry;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.builder().tempDir("alerter-it-").postgres(false).start();
        bootstrap = sandbox.kafka().bootstrapServers();
        registry = sandbox.registry().url();
        try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            a.createTopics(List.of(new NewTopic(Topics.HEALTH_TRANSITIONS, 3, (short) 1),
                    new NewTopic(Topics.DEAD_LETTER, 1, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void down() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private static final String TOKEN = "alerter-it-token-0123456789";

    private static AlerterConfig config(final LocalHttpServer hook) {
        return AlerterConfig.parse("""
                group_id: alerter-it
                http_port: 0
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                route: {receiver: hook, group_by: [cluster, node], group_wait: 0s, group_interval: 1s}
                receivers:
                  - {name: hook, type: webhook, url: "%s"}
                api: {token: "%s"}
                """.formatted(bootstrap, registry, hook.uri("/hook"), TOKEN), k -> null);
    }

    private static void produce(final HealthTransition... ts) {
        final AvroSerializer<HealthTransition> ser = new AvroSerializer<>();
        ser.configure(Map.of("schema.registry.url", registry), false);
        try (KafkaProducer<String, HealthTransition> p = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap), new StringSerializer(), ser)) {
            for (final HealthTransition t : ts) {
                p.send(new ProducerRecord<>(Topics.HEALTH_TRANSITIONS, t.getCluster(), t));
            }
        }
    }

    private static void poison() {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(Topics.HEALTH_TRANSITIONS, "orders".getBytes(), new byte[] {0, 0, 0, 0, 99, 1, 2}));
        }
    }

    @Test
    void transitionsReachTheWebhookOnceEvenAcrossARestart() throws Exception {
        try (LocalHttpServer hook = new LocalHttpServer()) {
            AlerterService alerter = new AlerterService(config(hook)).start();
            try {
                final HttpClient http = HttpClient.newHttpClient();
                final String api = "http://127.0.0.1:" + alerter.httpPort();
                // A silence through the API, before the alert it mutes arrives.
                final HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/silences"))
                        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"matchers\":[\"node=\\\"pg-3\\\"\"],\"duration\":\"1h\","
                                + "\"created_by\":\"it\",\"comment\":\"rebuild\"}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).isEqualTo(201);

                produce(Fixtures.transition("t-1", "orders", "pg-2", HealthState.HEALTHY, HealthState.CRITICAL,
                        List.of("LAG_TIME"), List.of()));
                poison();
                produce(Fixtures.transition("t-2", "orders", "pg-3", HealthState.HEALTHY, HealthState.WARNING,
                        List.of("REPLAY_STALLED"), List.of()),
                        Fixtures.transition("t-3", "billing", "pg-7", HealthState.HEALTHY, HealthState.WARNING,
                                List.of("SLOT_INACTIVE"), List.of()));

                await().atMost(Duration.ofSeconds(30)).until(() -> hook.delivered().size() >= 2);
                // Nothing for the silenced node follows.
                await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> hook.delivered().size() == 2);
                final List<String> keys = hook.delivered().stream().map(r -> r.header("Idempotency-Key")).sorted().toList();
                assertThat(keys).as("pg-3 is silenced").containsExactly("t-1", "t-3");
                final JsonNode body = JSON.readTree(hook.delivered().stream()
                        .filter(r -> "t-1".equals(r.header("Idempotency-Key"))).findFirst().orElseThrow().body());
                assertThat(body.path("idempotency_key").asText()).isEqualTo("t-1");
                assertThat(body.path("alerts").get(0).path("rule").asText()).isEqualTo("LAG_TIME");

                // The poison pill is in the dead-letter topic with its reason and raw bytes.
                final List<DeadLetter> dead = deadLetters(1);
                assertThat(dead.get(0).getStage()).isEqualTo("alerter");
                assertThat(dead.get(0).getSourceTopic()).isEqualTo(Topics.HEALTH_TRANSITIONS);
                assertThat(dead.get(0).getValue().remaining()).isEqualTo(7);

                // Every record, including the poison pill and the silenced one, is committed once settled.
                await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 4);
                final String metrics = http.send(HttpRequest.newBuilder(URI.create(api + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("replwatch_alerter_notifications_total{outcome=\"sent\",receiver=\"hook\"} 2.0");
                final String silences = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/silences")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(silences).contains("\"state\":\"active\"").contains("rebuild");
            } finally {
                alerter.close();
            }

            // Rewind the group to the beginning: the restarted alerter reads every transition again, and its
            // restored state knows they were all sent (or silenced): nothing is repeated.
            try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                final Map<TopicPartition, OffsetAndMetadata> zero = new java.util.HashMap<>();
                for (int p = 0; p < 3; p++) {
                    zero.put(new TopicPartition(Topics.HEALTH_TRANSITIONS, p), new OffsetAndMetadata(0));
                }
                a.alterConsumerGroupOffsets("alerter-it", zero).all().get();
            }
            alerter = new AlerterService(config(hook)).start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> committed() == 4);
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                        .until(() -> hook.delivered().size() == 2); // no repeat after the restart
                // The silence survived the restart too; a resolution is news and goes out.
                produce(Fixtures.transition("t-4", "orders", "pg-2", HealthState.CRITICAL, HealthState.HEALTHY,
                        List.of(), List.of("LAG_TIME")));
                await().atMost(Duration.ofSeconds(30)).until(() -> hook.delivered().size() == 3);
                final JsonNode resolved = JSON.readTree(hook.delivered().get(2).body());
                assertThat(resolved.path("status").asText()).isEqualTo("resolved");
                assertThat(hook.delivered().get(2).header("Idempotency-Key")).isEqualTo("t-4");
                await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                        .until(() -> hook.delivered().size() == 3);
            } finally {
                alerter.close();
            }
        }
    }

    private static long committed() throws Exception {
        try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            return a.listConsumerGroupOffsets("alerter-it").partitionsToOffsetAndMetadata().get().values().stream()
                    .mapToLong(OffsetAndMetadata::offset).sum();
        }
    }

    private static List<DeadLetter> deadLetters(final int n) {
        return DeadLetters.read(bootstrap, registry, n, d -> true, Duration.ofSeconds(30));
    }
}
