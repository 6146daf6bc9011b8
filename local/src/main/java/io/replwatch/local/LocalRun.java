package io.replwatch.local;

import io.replwatch.alerter.AlerterService;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.collector.CollectorService;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.processor.ProcessorService;
import io.replwatch.processor.config.ProcessorConfig;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Sandbox;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code replwatch local}: the whole pipeline on this machine. Starts the sandbox (Kafka, registry and, unless a
 * collector config for a real fleet is given, a PostgreSQL primary with standbys), the processor, the alerter
 * (console receiver, plus the status page's local webhook), the collector, the status page, and optionally a
 * scenario. {@link #close()} stops everything in reverse order; the sandbox's child processes go with it.
 */
public final class LocalRun implements AutoCloseable {

    /** What to run. */
    public record Options(String scenario, Path fleetConfig, int standbys, int port, PrintStream out) {
    }

    private final Options options;
    private Sandbox sandbox;
    private Path work;
    private ProcessorService processor;
    private AlerterService alerter;
    private CollectorService collector;
    private StatusFeed feed;
    private StatusPage page;
    private Scenarios scenarios;
    private Thread scenarioThread;
    private long startedNanos;
    private java.time.Instant startedAt;

    public LocalRun(final Options options) {
        this.options = options;
    }

    public LocalRun start() throws IOException {
        startedNanos = System.nanoTime();
        startedAt = java.time.Instant.now();
        final PrintStream out = options.out();
        work = Files.createTempDirectory("replwatch-local-");
        final boolean withPatroni = "patroni".equals(options.scenario()) && options.fleetConfig() == null;
        sandbox = Sandbox.builder().dir(work.resolve("sandbox")).standbys(options.standbys())
                .postgres(options.fleetConfig() == null)
                .patroni(withPatroni ? 3 : 0, Scenarios.PATRONI_CLUSTER).start();
        final String bootstrap = sandbox.kafka().bootstrapServers();
        final String registry = sandbox.registry().url();
        final String kafka = "kafka: {bootstrap.servers: \"" + bootstrap + "\"}\nschema_registry: {url: \"" + registry + "\"}\n";

        final int apiPort = freePort();
        processor = new ProcessorService(ProcessorConfig.parse("""
                application_id: replwatch-local-processor
                http_port: %d
                advertised_url: http://127.0.0.1:%d
                state_dir: "%s"
                partitions: 3
                %s""".formatted(apiPort, apiPort, work.resolve("streams"), kafka), k -> null)).start();

        feed = new StatusFeed(Map.of("bootstrap.servers", bootstrap), Map.of("schema.registry.url", registry), out);
        final Map<String, Object> info = new LinkedHashMap<>();
        info.put("scenario", options.scenario());
        page = StatusPage.start(options.port(), feed, info);

        alerter = new AlerterService(AlerterConfig.from(ConfigNode.parse("""
                group_id: replwatch-local-alerter
                http_port: 0
                external_url: %s
                %sroute:
                  receiver: console
                  group_by: [cluster, node]
                  # A local run is watched as it happens: news (a resolution, a second rule) within 10 s, not a minute.
                  group_interval: 10s
                  routes:
                    - {receiver: status-page, continue: true, matchers: ['cluster=~".*"']}
                    - {receiver: console, matchers: ['cluster=~".*"']}
                receivers:
                  - {name: console, type: console}
                  - {name: status-page, type: webhook, url: "%swebhook", max_age: 2m}
                """.formatted(page.url(), kafka, page.url()), "(local)", k -> null), out)).start();

        if (options.fleetConfig() == null && options.scenario() != null) {
            // Nodes a scenario needs from the start (the collector polls the nodes it is given when it starts).
            Scenarios.prepare(options.scenario(), sandbox.postgres(), out);
        }
        final CollectorConfig collectorConfig = options.fleetConfig() != null
                ? fleet(options.fleetConfig(), bootstrap, registry)
                : CollectorConfig.parse(sandboxFleet(kafka), k -> null);
        collector = new CollectorService(collectorConfig).start();
        feed.start();

        info.put("processor_url", "http://127.0.0.1:" + processor.httpPort() + "/api/v1/clusters");
        info.put("alerter_url", "http://127.0.0.1:" + alerter.httpPort() + "/api/v1/alerts");
        out.printf("%nreplwatch local is up in %.1f s%n", (System.nanoTime() - startedNanos) / 1e9);
        out.printf("  status page        %s%n", page.url());
        out.printf("  processor API      %s%n", info.get("processor_url"));
        out.printf("  alerter API        %s%n", info.get("alerter_url"));
        out.printf("  metrics            processor :%d, alerter :%d, collector :%d (/metrics)%n",
                processor.httpPort(), alerter.httpPort(), collector.httpPort());
        out.printf("  Kafka              %s%n  schema registry    %s%n", bootstrap, registry);
        if (options.fleetConfig() == null) {
            for (final PgNode n : sandbox.postgres().nodes()) {
                out.printf("  PostgreSQL %-8s %s (user %s/%s)%n", n.name(), n.jdbcUrl(), PgNode.SUPERUSER,
                        PgNode.SUPERUSER_PASSWORD);
            }
        }
        out.println("Transitions and notifications print below as they happen. Ctrl-C stops everything.");
        out.println();
        out.flush();
        if (options.scenario() != null && options.fleetConfig() == null) {
            scenarios = new Scenarios(sandbox.postgres(), out);
            if (withPatroni) {
                scenarios.patroni(sandbox.patroni());
            }
            scenarioThread = new Thread(() -> {
                try {
                    // Let the first samples flow so the page has a baseline before the fault.
                    Thread.sleep(3000);
                    scenarios.run(options.scenario());
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (final RuntimeException e) {
                    out.println("scenario " + options.scenario() + " failed: " + e.getMessage());
                }
            }, "replwatch-scenario");
            scenarioThread.setDaemon(true);
            scenarioThread.start();
        }
        return this;
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private String sandboxFleet(final String kafka) {
        final String nodes = sandbox.postgres().nodes().stream()
                .map(n -> "      - {name: " + n.name() + ", host: " + n.host() + ", port: " + n.port() + "}")
                .collect(Collectors.joining("\n"));
        final String patroni = "patroni".equals(options.scenario())
                ? "  - name: " + Scenarios.PATRONI_CLUSTER + "\n    labels: {env: local}\n    patroni:\n      endpoints: ["
                + String.join(", ", sandbox.patroni().apiUrls()) + "]\n" : "";
        return """
                collector_id: local
                poll_interval: 1s
                http_port: 0
                %sdefaults: {user: %s, password: %s}
                clusters:
                  - name: sandbox
                    labels: {env: local}
                    nodes:
                %s
                %s""".formatted(kafka, PgNode.MONITOR_USER, PgNode.MONITOR_PASSWORD, nodes, patroni);
    }

    /** A real fleet's collector config, re-pointed at the sandbox's Kafka and registry. */
    static CollectorConfig fleet(final Path file, final String bootstrap, final String registry) {
        final Map<String, String> env = new LinkedHashMap<>(System.getenv());
        env.put("KAFKA_BOOTSTRAP", bootstrap);
        env.put("SCHEMA_REGISTRY_URL", registry);
        // The file's own kafka and schema_registry sections, if it has any, are replaced by the local ones.
        final ConfigNode root = ConfigNode.load(file, env::get);
        root.replaceSection("kafka", Map.of("bootstrap.servers", bootstrap));
        root.replaceSection("schema_registry", Map.of("url", registry));
        return CollectorConfig.from(root);
    }

    public StatusPage page() {
        return page;
    }

    public StatusFeed feed() {
        return feed;
    }

    public Sandbox sandbox() {
        return sandbox;
    }

    /** From start() to the first sample the status page knows of; null before it arrives. */
    public Duration timeToFirstSample() {
        final java.time.Instant at = feed.firstSampleAt();
        return at == null ? null : Duration.between(startedAt, at);
    }

    /** Waits for the scenario to finish (or the timeout). */
    public void awaitScenario(final Duration timeout) throws InterruptedException {
        if (scenarioThread != null) {
            scenarioThread.join(timeout.toMillis());
        }
    }

    @Override
    public void close() {
        if (scenarios != null) {
            scenarios.stop();
        }
        closeQuietly(collector);
        closeQuietly(feed);
        closeQuietly(alerter);
        closeQuietly(processor);
        closeQuietly(page);
        closeQuietly(sandbox);
        if (work != null) {
            try (var walk = Files.walk(work)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (final IOException e) {
                // best effort: a temp directory
            }
        }
    }

    private static void closeQuietly(final AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (final Exception e) {
            // shutting down: keep closing the rest
        }
    }
}
