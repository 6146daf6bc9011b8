package io.replwatch.alerter.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.alerter.Fixtures;
import io.replwatch.alerter.LocalHttpServer;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.alerter.receiver.Attempt;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.console.ConsoleReceiver;
import io.replwatch.alerter.receiver.webhook.WebhookReceiver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every receiver posts to a real local HTTP server; what arrives is compared with the golden payload checked in
 * under src/test/resources/golden (regenerate with -Dgolden.update=true and review the diff).
 */
class ReceiverPayloadsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clock FIXED = Clock.fixed(Fixtures.T0.plusSeconds(3), ZoneOffset.UTC);
    private LocalHttpServer server;

    @BeforeEach
    void start() throws Exception {
        server = new LocalHttpServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Receiver receiver(final String type, final String extra) {
        final String url = type.equals("alertmanager") ? server.uri("").toString() : server.uri("/hook/T000/SECRET").toString();
        final String yaml = """
                kafka: {bootstrap.servers: "localhost:9092"}
                schema_registry: {url: "mock://golden"}
                route: {receiver: r}
                receivers:
                  - name: r
                    type: %s
                    url: "%s"
                %s
                """.formatted(type, url, extra);
        return AlerterConfig.parse(yaml, k -> null).receivers().get("r").apply(FIXED);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(textBlock = """
            webhook,      firing,   ''
            webhook,      resolved, ''
            webhook-am,   firing,   '    format: alertmanager'
            slack,        firing,   '    username: replwatch'
            slack,        resolved, ''
            teams,        firing,   ''
            teams,        resolved, ''
            discord,      firing,   '    username: replwatch'
            pagerduty,    firing,   '    routing_key: R0UT1NGKEY0000000000000000000000'
            pagerduty,    resolved, '    routing_key: R0UT1NGKEY0000000000000000000000'
            alertmanager, firing,   ''
            alertmanager, resolved, ''
            """)
    void payloadMatchesGoldenFile(final String kind, final String status, final String extra) throws Exception {
        final String type = kind.equals("webhook-am") ? "webhook" : kind;
        final Receiver r = receiver(type, extra);
        final Notification n = Fixtures.notification(status.equals("firing"));
        final Attempt a = r.send(n);
        assertThat(a.ok()).as(String.valueOf(a.error())).isTrue();
        final LocalHttpServer.Request req = server.delivered().get(0);
        assertThat(req.method()).isEqualTo("POST");
        assertThat(req.header("Content-Type")).isEqualTo("application/json");
        assertThat(req.header("Idempotency-Key")).isEqualTo(n.idempotencyKey());
        if (type.equals("alertmanager")) {
            assertThat(req.path()).isEqualTo("/api/v2/alerts");
        }
        golden(kind + "-" + status + ".json", req.body());
    }

    static void golden(final String name, final String body) throws Exception {
        final JsonNode got = JSON.readTree(body);
        final Path file = Path.of("src/test/resources/golden", name);
        if (Boolean.getBoolean("golden.update") || !Files.exists(file)) {
            if (!Boolean.getBoolean("golden.update")) {
                throw new AssertionError("No golden file " + file + "; run with -Dgolden.update=true and review it");
            }
            Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(got) + "\n");
        }
        assertThat(got).as("payload vs %s", file).isEqualTo(JSON.readTree(Files.readString(file)));
    }

    @Test
    void webhookSignsTimestampAndBodyWithHmacSha256() throws Exception {
        final Receiver r = receiver("webhook", "    hmac_secret: s3cr3t\n    headers: {X-Team: dba}");
        r.send(Fixtures.notification(true));
        final LocalHttpServer.Request req = server.delivered().get(0);
        final String ts = req.header(WebhookReceiver.TIMESTAMP_HEADER);
        assertThat(ts).isEqualTo(Long.toString(FIXED.instant().getEpochSecond()));
        // Recomputed independently with the JDK's Mac, as a receiver would.
        final javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec("s3cr3t".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        final String expected = java.util.HexFormat.of().formatHex(mac.doFinal((ts + "." + req.body())
                .getBytes(StandardCharsets.UTF_8)));
        assertThat(req.header(WebhookReceiver.SIGNATURE_HEADER)).isEqualTo("sha256=" + expected);
        assertThat(req.header("X-Team")).isEqualTo("dba");
        // A tampered body no longer verifies.
        assertThat(WebhookReceiver.sign("s3cr3t", ts, req.body() + " ")).isNotEqualTo(expected);
    }

    @Test
    void templatesAreConfigurable() throws Exception {
        final Receiver r = receiver("webhook",
                "    title: \"{{severity}} in {{group_labels_text}}\"\n    text: \"{{#firing}}{{node}}={{value}};{{/firing}}\"");
        r.send(Fixtures.notification(true));
        final JsonNode body = JSON.readTree(server.delivered().get(0).body());
        assertThat(body.path("title").asText()).isEqualTo("CRITICAL in cluster=orders");
        assertThat(body.path("text").asText()).isEqualTo("pg-orders-2=75.2 s;pg-orders-3=75.2 s;");
    }

    @Test
    void consolePrintsTitleAndIndentedLines() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ConsoleReceiver c = new ConsoleReceiver(ReceiverSettings.of("console", "console"),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(c.send(Fixtures.notification(true)).ok()).isTrue();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("""
                2026-11-26T12:00:02Z  [FIRING:2] cluster=orders
                    CRITICAL orders/pg-orders-2 LAG_TIME: LAG_TIME on pg-orders-2
                    WARNING orders/pg-orders-3 REPLAY_STALLED: REPLAY_STALLED on pg-orders-3
                """);
    }

    @Test
    void valuesReadAsPeopleWriteThem() {
        assertThat(Templates.value(75_200d, "ms")).isEqualTo("75.2 s");
        assertThat(Templates.value(3d * 1024 * 1024 * 1024, "bytes")).isEqualTo("3.0 GiB");
        assertThat(Templates.value(512d, "bytes")).isEqualTo("512 B");
        assertThat(Templates.value(101d, "count")).isEqualTo("101 count");
        assertThat(Templates.value(null, "ms")).isEmpty();
        assertThat(Map.of()).isEmpty();
    }
}
