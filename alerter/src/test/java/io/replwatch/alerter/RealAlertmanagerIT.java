package io.replwatch.alerter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerializer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23: the {@code alertmanager} receiver posting to a real Alertmanager (Debian's prometheus-alertmanager
 * 0.25), read back through Alertmanager's own API. A rule fires WARNING, turns CRITICAL, then clears: Alertmanager
 * must show one active alert at a time, at the current severity, and none once replwatch resolved it. Before, it
 * kept the WARNING alert after the CRITICAL one came and never saw either end (labels are an alert's identity in
 * Alertmanager, and replwatch resolved without the severity label), so both stayed active for firing_ttl (4 h).
 */
@Tag("chaos")
class RealAlertmanagerIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path BINARY = Path.of("/usr/bin/prometheus-alertmanager");

    @Test
    void alertsFollowReplwatchsSeverityAndEndWhenItResolves(@TempDir final Path tmp) throws Exception {
        assertThat(BINARY).as("Debian's prometheus-alertmanager (.ci/run installs it)").isExecutable();
        final int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        final Path config = tmp.resolve("alertmanager.yml");
        Files.writeString(config, "route: {receiver: nowhere}\nreceivers: [{name: nowhere}]\n");
        final Process am = new ProcessBuilder(BINARY.toString(), "--config.file=" + config,
                "--storage.path=" + tmp.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=", "--log.level=warn").redirectErrorStream(true)
                .redirectOutput(tmp.resolve("alertmanager.log").toFile()).start();
        try (Sandbox sandbox = Sandbox.builder().tempDir("real-am-it-").postgres(false).start()) {
            final String bootstrap = sandbox.kafka().bootstrapServers();
            final String registry = sandbox.registry().url();
            try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                a.createTopics(List.of(new NewTopic(Topics.HEALTH_TRANSITIONS, 1, (short) 1),
                        new NewTopic(Topics.DEAD_LETTER, 1, (short) 1))).all().get();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> active(port) != null);
            try (AlerterService alerter = new AlerterService(AlerterConfig.parse("""
                    group_id: real-am-it
                    http_port: 0
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    route: {receiver: am, group_by: [cluster, node], group_wait: 0s, group_interval: 1s}
                    receivers:
                      - {name: am, type: alertmanager, url: "http://127.0.0.1:%d"}
                    """.formatted(bootstrap, registry, port), k -> null)).start()) {
                produce(bootstrap, registry, Fixtures.transition("t1", "orders", "pg-2", HealthState.HEALTHY,
                        HealthState.WARNING, List.of("LAG_TIME"), List.of()));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(severities(port))
                        .containsExactly("WARNING"));
                produce(bootstrap, registry, Fixtures.transition("t2", "orders", "pg-2", HealthState.WARNING,
                        HealthState.CRITICAL, List.of("LAG_TIME"), List.of()));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(severities(port))
                        .as("one alert, at its new severity").containsExactly("CRITICAL"));
                produce(bootstrap, registry, Fixtures.transition("t3", "orders", "pg-2", HealthState.CRITICAL,
                        HealthState.HEALTHY, List.of(), List.of("LAG_TIME")));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(severities(port))
                        .as("resolved in Alertmanager once replwatch resolved it").isEmpty());
                assertThat(alerter.registry().find("replwatch.alerter.transitions").tag("outcome", "dead_lettered")
                        .counter()).as("nothing dead-lettered").isNull();
            }
        } finally {
            am.destroy();
            am.waitFor();
        }
    }

    /** The severities of the LAG_TIME alerts Alertmanager holds active for orders/pg-2. */
    private static List<String> severities(final int port) throws IOException {
        final JsonNode alerts = active(port);
        final List<String> out = new ArrayList<>();
        for (final JsonNode a : alerts) {
            final JsonNode l = a.path("labels");
            if ("LAG_TIME".equals(l.path("alertname").asText()) && "pg-2".equals(l.path("node").asText())) {
                out.add(l.path("severity").asText());
            }
        }
        return out;
    }

    /** Alertmanager's active alerts (resolved ones are not listed), or null while it does not answer. */
    private static JsonNode active(final int port) throws IOException {
        try {
            final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v2/alerts?active=true")).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (final java.net.ConnectException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void produce(final String bootstrap, final String registry, final HealthTransition t) {
        final AvroSerializer<HealthTransition> ser = new AvroSerializer<>();
        ser.configure(Map.of("schema.registry.url", registry), false);
        try (KafkaProducer<String, HealthTransition> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), ser)) {
            p.send(new ProducerRecord<>(Topics.HEALTH_TRANSITIONS, t.getCluster(), t));
        }
    }
}
