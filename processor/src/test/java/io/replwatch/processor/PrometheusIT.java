package io.replwatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.avro.HealthState;
import io.replwatch.sandbox.Ports;
import io.replwatch.sandbox.Sandbox;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replication signals in a real Prometheus (Debian's package, as a process): it scrapes the processor's /metrics
 * every second with the shipped alerting rules loaded, and PromQL sees a paused standby's state turn WARNING and its
 * replay lag grow while its receive lag stays at zero. The shipped rules pass promtool's check and unit tests.
 */
@Tag("chaos")
class PrometheusIT {

    private static final Logger LOG = LoggerFactory.getLogger(PrometheusIT.class);
    private static final Path RULES = Path.of("../deploy/prometheus");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theShippedRulesPassPromtool() throws Exception {
        assertThat(run(List.of(promtool(), "check", "rules", "replwatch-rules.yml"))).contains("SUCCESS: 7 rules found");
        assertThat(run(List.of(promtool(), "test", "rules", "replwatch-rules.test.yml"))).contains("SUCCESS");
    }

    @Test
    void prometheusSeesAPausedStandbysLagGrow(@TempDir final Path dir) throws Exception {
        final Path prometheus = Path.of("/usr/bin/prometheus");
        assertThat(prometheus).as("Debian's prometheus package (apt-get install prometheus; .ci/run installs it)")
                .exists();
        try (Sandbox sb = Sandbox.builder().tempDir("prom-it-").standbys(2).start();
             SandboxPipeline pipe = new SandboxPipeline(sb, "prom-it", "", "")) {
            for (final String n : List.of("primary", "standby1", "standby2")) {
                pipe.awaitTransition(n, 0, Duration.ofSeconds(60), t -> t.getToState() == HealthState.HEALTHY);
            }
            final int port = Ports.free();
            final Path config = dir.resolve("prometheus.yml");
            Files.copy(RULES.resolve("replwatch-rules.yml"), dir.resolve("replwatch-rules.yml"));
            Files.writeString(config, """
                    global: {scrape_interval: 1s, evaluation_interval: 1s}
                    rule_files: [replwatch-rules.yml]
                    scrape_configs:
                      - job_name: replwatch-processor
                        static_configs: [{targets: ["127.0.0.1:%d"]}]
                    """.formatted(pipe.processor.httpPort()));
            final Process p = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                    "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            final AtomicBoolean writing = new AtomicBoolean(true);
            try {
                final String base = "http://127.0.0.1:" + port;
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                        .until(() -> value(base, "up{job=\"replwatch-processor\"}") == 1.0
                                && value(base, "replwatch_node_state{node=\"standby1\",state=\"HEALTHY\"}") == 1.0);
                final long paused = System.currentTimeMillis();
                sb.postgres().pauseReplay("standby1");
                final Thread writer = new Thread(() -> {
                    while (writing.get()) {
                        sb.postgres().generateWal(2);
                    }
                }, "prom-it-writes");
                writer.start();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                        .until(() -> value(base, "replwatch_node_state{node=\"standby1\",state=\"WARNING\"}") == 1.0);
                LOG.info("MEASURED Prometheus: standby1 WARNING in PromQL {} ms after the pause",
                        System.currentTimeMillis() - paused);
                final double first = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions().until(() -> value(base,
                                "replwatch_standby_lag_bytes{node=\"standby1\",stage=\"replay\"}"), v -> v > 0);
                final double later = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions().until(() -> value(base,
                                "replwatch_standby_lag_bytes{node=\"standby1\",stage=\"replay\"}"), v -> v > first);
                LOG.info("MEASURED Prometheus: standby1 replay lag {} then {} bytes", (long) first, (long) later);
                // Received, not replayed: the cause is replay, not the link.
                assertThat(value(base, "replwatch_standby_lag_bytes{node=\"standby1\",stage=\"receive\"}"))
                        .isLessThan(later);
                assertThat(value(base, "max_over_time(replwatch_standby_lag_bytes{node=\"standby2\",stage=\"replay\"}[30s])"))
                        .as("standby2 keeps up").isLessThan(later);
                // The WAL rate is the last closed one-minute window's: the writes began in the window still open
                // when the pause came, which the next minute boundary closes.
                await().atMost(Duration.ofSeconds(75)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                        .until(() -> value(base, "replwatch_primary_wal_bytes_per_second{node=\"primary\"}"), v -> v > 0);
                assertThat(value(base, "count(replwatch_node_state{state=\"HEALTHY\"})")).as("one series per node and state")
                        .isEqualTo(3.0);
            } finally {
                writing.set(false);
                sb.postgres().resumeReplay("standby1");
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** The value of an instant PromQL query that returns one series (NaN when none yet). */
    private double value(final String base, final String query) throws Exception {
        final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/query?query="
                + URLEncoder.encode(query, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        final JsonNode result = JSON.readTree(r.body()).path("data").path("result");
        if (result.size() != 1) {
            return Double.NaN;
        }
        return Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    private static String promtool() {
        final Path bin = Path.of("/usr/bin/promtool");
        assertThat(bin).as("promtool, from Debian's prometheus package (.ci/run installs it)").exists();
        return bin.toString();
    }

    private static String run(final List<String> cmd) throws Exception {
        final Process p = new ProcessBuilder(cmd).directory(RULES.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
