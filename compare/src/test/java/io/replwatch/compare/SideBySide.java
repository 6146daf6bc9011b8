package io.replwatch.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.replwatch.alerter.AlerterService;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.processor.ProcessorService;
import io.replwatch.processor.config.ProcessorConfig;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.PostgresCluster;
import io.replwatch.sandbox.Sandbox;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Issue 23: replwatch beside the stack most teams run (postgres_exporter 0.11, Prometheus 2.42, Alertmanager 0.25, all
 * Debian's packages), on one sandbox cluster (a primary, two standbys), under one fault timeline: a 10-minute idle
 * primary, replay paused under writes, a standby stopped and started, a replication link cut and restored, the
 * primary stopped and a standby promoted. Both stacks notify one webhook receiver in the same format (Alertmanager's
 * webhook payload v4: replwatch's webhook receiver speaks it), so each notification is timed against the lever that
 * caused it by the same clock. Two Prometheus servers run: one at the usual 15 s scrape and evaluation interval, one at
 * the collector's 1 s, for a fair race. Then the cost side by side: PostgreSQL server CPU per replwatch poll and per
 * postgres_exporter scrape (the backends' own CPU from /proc), and each client's CPU and resident memory per node.
 *
 * <p>Run: {@code mvn -B -q -pl compare -am test-compile exec:exec@compare} (needs prometheus, prometheus-alertmanager
 * and prometheus-postgres-exporter from Debian; {@code -Dcompare.idle=2m} for a shorter idle phase). The report goes
 * to stdout and {@code compare/target/compare.md}.
 */
public final class SideBySide {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A notification as the receiver got it: which stack, when, firing or resolved, the alert's name and node. */
    record Note(String stack, long at, String status, String alert, String node) {
    }

    /** One fault: when its lever was pulled and when it was undone, the node it concerns. */
    record Fault(String name, String node, long start, long end) {
    }

    private final List<Note> notes = new CopyOnWriteArrayList<>();
    private final List<Process> children = new ArrayList<>();
    private final Path dir;

    private SideBySide(final Path dir) {
        this.dir = dir;
    }

    public static void main(final String[] args) throws Exception {
        final Duration idle = Duration.parse("PT" + System.getProperty("compare.idle", "10m").toUpperCase(Locale.ROOT));
        final Duration fault = Duration.parse("PT" + System.getProperty("compare.fault", "60s").toUpperCase(Locale.ROOT));
        final Path out = Path.of(System.getProperty("compare.out", "compare/target/compare.md"));
        for (final String bin : List.of("/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager",
                "/usr/bin/prometheus-postgres-exporter")) {
            if (!Files.isExecutable(Path.of(bin))) {
                System.err.println("compare: " + bin + " is missing (apt-get install prometheus prometheus-alertmanager"
                        + " prometheus-postgres-exporter)");
                System.exit(2);
            }
        }
        try (Sandbox sb = Sandbox.builder().tempDir("compare-").standbys(2).start()) {
            final SideBySide run = new SideBySide(sb.dir());
            try {
                final String report = run.run(sb, idle, fault);
                System.out.println(report);
                Files.createDirectories(out.toAbsolutePath().getParent());
                Files.writeString(out, report);
            } finally {
                run.stopChildren();
            }
        }
        System.exit(0);
    }

    private String run(final Sandbox sb, final Duration idle, final Duration fault) throws Exception {
        final PostgresCluster pg = sb.postgres();
        final HttpServer hook = receiver();
        final int hookPort = hook.getAddress().getPort();
        final List<PgNode> nodes = new ArrayList<>(pg.nodes());

        // --- the peer stack: an exporter per node, Alertmanager, two Prometheus servers
        final Map<String, Integer> exporterPorts = new LinkedHashMap<>();
        final Map<String, Process> exporters = new LinkedHashMap<>();
        final Path queries = dir.resolve("queries.yaml");
        // The classic replication lag query, as postgres_exporter's own example queries.yaml has it (Debian ships
        // it in /usr/share/doc/prometheus-postgres-exporter/examples/queries.yaml).
        Files.writeString(queries, """
                pg_replication:
                  query: "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 ELSE GREATEST (0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))) END AS lag"
                  master: true
                  metrics:
                    - lag:
                        usage: "GAUGE"
                        description: "Replication lag behind master in seconds"
                """);
        for (final PgNode n : nodes) {
            final int port = freePort();
            exporterPorts.put(n.name(), port);
            final ProcessBuilder b = new ProcessBuilder("/usr/bin/prometheus-postgres-exporter",
                    "--web.listen-address=127.0.0.1:" + port, "--extend.query-path=" + queries, "--log.level=warn");
            b.environment().put("DATA_SOURCE_NAME", "postgresql://" + PgNode.MONITOR_USER + ":" + PgNode.MONITOR_PASSWORD
                    + "@127.0.0.1:" + n.port() + "/postgres?sslmode=disable&application_name=postgres_exporter");
            exporters.put(n.name(), start(b, "exporter-" + n.name()));
        }
        final int amPort = freePort();
        final Path amConfig = dir.resolve("alertmanager.yml");
        Files.writeString(amConfig, """
                route:
                  receiver: p15
                  group_by: [alertname, node]
                  group_wait: 0s
                  group_interval: 10s
                  repeat_interval: 4h
                  routes:
                    - {matchers: ['stack="p1"'], receiver: p1}
                    - {matchers: ['stack="replwatch"'], receiver: blackhole}
                receivers:
                  - {name: p15, webhook_configs: [{url: "http://127.0.0.1:%d/p15", send_resolved: true}]}
                  - {name: p1, webhook_configs: [{url: "http://127.0.0.1:%d/p1", send_resolved: true}]}
                  - {name: blackhole}
                """.formatted(hookPort, hookPort));
        start(new ProcessBuilder("/usr/bin/prometheus-alertmanager", "--config.file=" + amConfig,
                "--storage.path=" + dir.resolve("am"), "--web.listen-address=127.0.0.1:" + amPort,
                "--cluster.listen-address=", "--log.level=warn"), "alertmanager");
        final Path rules = dir.resolve("peer-rules.yml");
        Files.writeString(rules, PEER_RULES);
        final Map<String, Integer> promPorts = new LinkedHashMap<>();
        for (final int interval : new int[] {15, 1}) {
            final String stack = "p" + interval;
            final int port = freePort();
            promPorts.put(stack, port);
            final StringBuilder targets = new StringBuilder();
            exporterPorts.forEach((node, p) -> targets.append("      - {targets: ['127.0.0.1:").append(p)
                    .append("'], labels: {node: ").append(node).append("}}\n"));
            final Path cfg = dir.resolve("prometheus-" + stack + ".yml");
            Files.writeString(cfg, """
                    global:
                      scrape_interval: %ds
                      evaluation_interval: %ds
                      external_labels: {stack: %s}
                    rule_files: ["%s"]
                    alerting:
                      alertmanagers: [{static_configs: [{targets: ['127.0.0.1:%d']}]}]
                    scrape_configs:
                      - job_name: postgres
                        static_configs:
                    %s""".formatted(interval, interval, stack, rules, amPort, targets));
            start(new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + cfg,
                    "--storage.tsdb.path=" + dir.resolve("prom-" + stack), "--web.listen-address=127.0.0.1:" + port,
                    "--log.level=warn"), "prometheus-" + stack);
        }

        // --- replwatch: collector (its own JVM, to measure it), processor and alerter (in this JVM)
        final String kafka = sb.kafka().bootstrapServers();
        final String registry = sb.registry().url();
        final StringBuilder collectorNodes = new StringBuilder();
        for (final PgNode n : nodes) {
            collectorNodes.append("      - {name: ").append(n.name()).append(", port: ").append(n.port()).append("}\n");
        }
        final Path collectorConfig = dir.resolve("collector.yaml");
        Files.writeString(collectorConfig, """
                collector_id: compare
                poll_interval: 1s
                http_port: -1
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                defaults: {host: 127.0.0.1, user: %s, password: %s}
                clusters:
                  - name: sandbox
                    nodes:
                %s""".formatted(kafka, registry, PgNode.MONITOR_USER, PgNode.MONITOR_PASSWORD, collectorNodes));
        final ProcessorService processor = new ProcessorService(ProcessorConfig.parse("""
                application_id: compare
                http_port: 0
                state_dir: %s
                partitions: 3
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                """.formatted(dir.resolve("streams"), kafka, registry), k -> null)).start();
        final AlerterService alerter = new AlerterService(AlerterConfig.parse("""
                group_id: compare-alerter
                http_port: 0
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                route: {receiver: hook, group_by: [cluster, node], group_wait: 0s, group_interval: 10s}
                receivers:
                  - {name: hook, type: webhook, format: alertmanager, url: "http://127.0.0.1:%d/replwatch"}
                """.formatted(kafka, registry, hookPort), k -> null)).start();
        processor.awaitRunning(Duration.ofSeconds(90));
        final Process collector = start(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-Dlogback.configurationFile=" + System.getProperty("logback.configurationFile"),
                "-cp", System.getProperty("java.class.path"), "io.replwatch.collector.CollectorMain", "--config",
                collectorConfig.toString()), "collector");
        try {
            // Both stacks up: Prometheus sees every exporter, replwatch has sampled every node.
            awaitTrue(Duration.ofSeconds(120), () -> promPorts.values().stream().allMatch(p ->
                    query(p, "count(pg_up == 1)") >= nodes.size()));
            awaitTrue(Duration.ofSeconds(120), () -> healthyNodes(processor.httpPort()) >= nodes.size());
            Thread.sleep(20_000); // settle: first evaluations of both stacks (a fixed warm-up, not a wait on a result)
            final int warmupNotes = notes.size();

            // --- cost, measured over the idle phase (nothing written: the monitoring is the only load)
            final Map<String, long[]> backendsBefore = backends(pg, nodes);
            final long[] collectorBefore = cpuAndRss(collector.pid());
            final Map<String, long[]> exportersBefore = new LinkedHashMap<>();
            exporters.forEach((n, p) -> exportersBefore.put(n, cpuAndRss(p.pid())));
            final long idleStart = System.currentTimeMillis();
            Thread.sleep(idle.toMillis()); // the fault itself: an idle primary for this long
            final long idleEnd = System.currentTimeMillis();
            final Map<String, long[]> backendsAfter = backends(pg, nodes);
            final long[] collectorAfter = cpuAndRss(collector.pid());
            final Map<String, long[]> exportersAfter = new LinkedHashMap<>();
            exporters.forEach((n, p) -> exportersAfter.put(n, cpuAndRss(p.pid())));
            final List<Fault> faults = new ArrayList<>();
            faults.add(new Fault("idle primary " + idle.toMinutes() + " min", null, idleStart, idleEnd));

            // --- faults under a steady write load
            final AtomicBoolean writing = new AtomicBoolean(true);
            final Thread writer = new Thread(() -> {
                while (writing.get()) {
                    try {
                        pg.generateWal(1);
                        Thread.sleep(500);
                    } catch (final InterruptedException e) {
                        return;
                    } catch (final RuntimeException e) {
                        pause(200); // the primary is down for a moment in the last fault
                    }
                }
            }, "write-load");
            writer.start();
            try {
                Thread.sleep(15_000);
                faults.add(fault("replay paused", "standby1", fault, () -> pg.pauseReplay("standby1"),
                        () -> pg.resumeReplay("standby1")));
                faults.add(fault("standby stopped", "standby2", fault, () -> pg.stop("standby2"),
                        () -> pg.start("standby2")));
                faults.add(fault("link cut", "standby1", fault, () -> pg.cutLink("standby1"),
                        () -> pg.restoreLink("standby1")));
                final long failoverAt = System.currentTimeMillis();
                pg.stop("primary");
                pause(5_000);
                pg.promote("standby1");
                pg.setPrimary("standby1");
                pause(fault.toMillis());
                faults.add(new Fault("primary stopped, standby1 promoted", "primary", failoverAt, Long.MAX_VALUE));
            } finally {
                writing.set(false);
                writer.interrupt();
                writer.join(10_000);
            }
            pause(20_000); // the last notifications in flight
            return report(faults, warmupNotes, idleStart, idleEnd, backendsBefore, backendsAfter, collectorBefore,
                    collectorAfter, exportersBefore, exportersAfter, nodes.size(), promPorts);
        } finally {
            collector.destroy();
            alerter.close();
            processor.close();
            hook.stop(0);
        }
    }

    /** Pulls a lever, waits the fault's length, undoes it, and waits as long again for both stacks to resolve. */
    private static Fault fault(final String name, final String node, final Duration length, final Lever pull,
                               final Lever undo) throws Exception {
        final long start = System.currentTimeMillis();
        pull.run();
        pause(length.toMillis());
        final long end = System.currentTimeMillis();
        undo.run();
        pause(length.toMillis());
        return new Fault(name, node, start, end);
    }

    @FunctionalInterface
    interface Lever {
        void run() throws Exception;
    }

    // ---- the report

    private String report(final List<Fault> faults, final int warmupNotes, final long idleStart, final long idleEnd,
                          final Map<String, long[]> backendsBefore, final Map<String, long[]> backendsAfter,
                          final long[] collectorBefore, final long[] collectorAfter,
                          final Map<String, long[]> exportersBefore, final Map<String, long[]> exportersAfter,
                          final int nodeCount, final Map<String, Integer> promPorts) {
        final StringBuilder b = new StringBuilder();
        final String[] stacks = {"replwatch", "p1", "p15"};
        b.append("## Side by side: replwatch and postgres_exporter + Prometheus + Alertmanager\n\n");
        b.append("Stacks: replwatch (collector polling every 1 s, shipped rule defaults, alerter group_wait 0 s); p15 and"
                + " p1: postgres_exporter 0.11 per node, Prometheus 2.42 scraping and evaluating every 15 s / 1 s,"
                + " Alertmanager 0.25 (group_wait 0 s), the rules in `compare/README.md`. Notifications before the"
                + " timeline (warm-up): ").append(warmupNotes).append(".\n\n");
        b.append("| fault | stack | first notification after the lever | alerts (first) | resolved after the lever was undone | other notifications |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (final Fault f : faults) {
            for (final String stack : stacks) {
                final List<Note> in = notes.stream().filter(n -> n.stack().equals(stack) && n.at() >= f.start()
                        && n.at() < f.end() + (f.end() == Long.MAX_VALUE ? 0 : 0) + window(f)).toList();
                final Predicate<Note> mine = n -> f.node() == null || f.node().equals(n.node())
                        || (f.node().equals("primary") && n.node() != null && n.node().startsWith("standby1"));
                final Note first = in.stream().filter(n -> n.status().equals("firing")).filter(mine).findFirst()
                        .orElse(null);
                final Note resolved = f.end() == Long.MAX_VALUE ? null : in.stream()
                        .filter(n -> n.status().equals("resolved") && n.at() >= f.end()).filter(mine).findFirst()
                        .orElse(null);
                final long others = in.stream().filter(mine.negate()).count();
                b.append("| ").append(f.name()).append(" | ").append(stack).append(" | ")
                        .append(f.node() == null ? (in.isEmpty() ? "none (right)" : in.size() + " FALSE: "
                                + in.stream().map(n -> n.alert() + "@" + n.node() + " " + seconds(n.at() - f.start()))
                                .distinct().limit(4).toList())
                                : first == null ? "not detected" : seconds(first.at() - f.start()))
                        .append(" | ").append(first == null ? "-" : first.alert())
                        .append(" | ").append(f.node() == null || f.end() == Long.MAX_VALUE ? "-"
                                : resolved == null ? "not resolved" : seconds(resolved.at() - f.end()))
                        .append(" | ").append(f.node() == null ? "-" : String.valueOf(others)).append(" |\n");
            }
        }
        final double idleS = (idleEnd - idleStart) / 1000.0;
        b.append("\n### Cost over the idle phase (").append(String.format(Locale.ROOT, "%.0f", idleS))
                .append(" s, nothing written)\n\n");
        b.append("| | replwatch collector | postgres_exporter |\n|---|---|---|\n");
        long rwTicks = 0;
        long exTicks = 0;
        for (final String n : backendsAfter.keySet()) {
            rwTicks += delta(backendsBefore, backendsAfter, n, 0);
            exTicks += delta(backendsBefore, backendsAfter, n, 1);
        }
        final double polls = idleS * nodeCount; // one poll per node per second
        final double scrapes = nodeCount * (idleS / 15 + idleS / 1); // both Prometheus servers scrape every exporter
        b.append(String.format(Locale.ROOT, "| PostgreSQL server CPU (the monitoring backends, all nodes) | %.2f s | %.2f s |%n",
                rwTicks / HZ, exTicks / HZ));
        b.append(String.format(Locale.ROOT, "| per poll / per scrape | %.3f ms (%.0f polls) | %.3f ms (%.0f scrapes) |%n",
                rwTicks / HZ * 1000 / polls, polls, exTicks / HZ * 1000 / scrapes, scrapes));
        final double colCpu = (collectorAfter[0] - collectorBefore[0]) / HZ;
        double exCpu = 0;
        long exRss = 0;
        for (final String n : exportersAfter.keySet()) {
            exCpu += (exportersAfter.get(n)[0] - exportersBefore.get(n)[0]) / HZ;
            exRss += exportersAfter.get(n)[1];
        }
        b.append(String.format(Locale.ROOT, "| client CPU per node (%% of a core) | %.2f %% | %.2f %% |%n",
                colCpu / idleS / nodeCount * 100, exCpu / idleS / nodeCount * 100));
        b.append(String.format(Locale.ROOT, "| client resident memory per node | %.1f MiB (one JVM for %d nodes: %.1f MiB) | %.1f MiB |%n",
                collectorAfter[1] / 1024.0 / nodeCount, nodeCount, collectorAfter[1] / 1024.0, exRss / 1024.0 / nodeCount));
        b.append("\nPrometheus servers (not counted above): ").append(promPorts.keySet()).append(".\n");
        return b.toString();
    }

    private static long window(final Fault f) {
        // Notifications counted for a fault: from its lever until the next fault's (each waits as long again after
        // being undone), or 60 s more for the last.
        return f.end() == Long.MAX_VALUE ? 0 : f.end() - f.start();
    }

    private static long delta(final Map<String, long[]> before, final Map<String, long[]> after, final String n,
                              final int i) {
        final long[] a = after.get(n);
        final long[] b = before.get(n);
        return a == null || b == null ? 0 : Math.max(0, a[i] - b[i]);
    }

    private static String seconds(final long ms) {
        return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    // ---- measurements

    private static final double HZ = 100.0; // USER_HZ: /proc/<pid>/stat counts CPU in 1/100 s

    /** utime + stime (ticks) and resident set (KiB) of a process, from /proc. */
    static long[] cpuAndRss(final long pid) {
        try {
            final String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            final long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            long rss = 0;
            for (final String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
            return new long[] {ticks, rss};
        } catch (final IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /**
     * Per node, the CPU ticks of the backends serving replwatch's collector and postgres_exporter (by their
     * application_name in pg_stat_activity; postgres_exporter keeps its connection open between scrapes).
     */
    private static Map<String, long[]> backends(final PostgresCluster pg, final List<PgNode> nodes) {
        final Map<String, long[]> out = new LinkedHashMap<>();
        for (final PgNode n : nodes) {
            long rw = 0;
            long ex = 0;
            try {
                final String rows = n.queryOne("SELECT string_agg(pid || ':' || coalesce(application_name, ''), ',')"
                        + " FROM pg_stat_activity WHERE backend_type = 'client backend'");
                for (final String r : rows == null ? new String[0] : rows.split(",")) {
                    final String[] pa = r.split(":", 2);
                    final long ticks = cpuAndRss(Long.parseLong(pa[0]))[0];
                    if (pa[1].startsWith("replwatch")) {
                        rw += ticks;
                    } else if (pa[1].equals("postgres_exporter")) {
                        ex += ticks;
                    }
                }
            } catch (final RuntimeException e) {
                // a node that is down has no backends to count
            }
            out.put(n.name(), new long[] {rw, ex});
        }
        return out;
    }

    /** Nodes replwatch's processor reports HEALTHY (its HTTP API), -1 while it cannot answer. */
    private static int healthyNodes(final int port) {
        try {
            final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/clusters/sandbox")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            int healthy = 0;
            for (final JsonNode n : JSON.readTree(r.body()).path("nodes")) {
                healthy += "HEALTHY".equals(n.path("state").asText()) ? 1 : 0;
            }
            return healthy;
        } catch (final IOException | RuntimeException e) {
            return -1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    // ---- plumbing

    private HttpServer receiver() throws IOException {
        final HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        for (final String stack : List.of("replwatch", "p15", "p1")) {
            s.createContext("/" + stack, ex -> {
                final long at = System.currentTimeMillis();
                try {
                    final JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
                    for (final JsonNode a : body.path("alerts")) {
                        final JsonNode l = a.path("labels");
                        notes.add(new Note(stack, at, a.path("status").asText(), l.path("alertname").asText(),
                                l.path("node").asText(null)));
                    }
                } finally {
                    ex.sendResponseHeaders(200, -1);
                    ex.close();
                }
            });
        }
        s.start();
        return s;
    }

    private Process start(final ProcessBuilder b, final String name) throws IOException {
        final Path log = dir.resolve(name + ".log");
        final Process p = b.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        children.add(p);
        return p;
    }

    private void stopChildren() {
        for (final Process p : children) {
            p.destroy();
        }
        for (final Process p : children) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The value of a Prometheus instant query (the first series), or -1. */
    private static double query(final int port, final String promql) {
        try {
            final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/query?query=" + java.net.URLEncoder.encode(promql, StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString());
            final JsonNode result = JSON.readTree(r.body()).path("data").path("result");
            return result.isEmpty() ? -1 : result.get(0).path("value").get(1).asDouble();
        } catch (final IOException | RuntimeException e) {
            return -1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void awaitTrue(final Duration within, final java.util.function.BooleanSupplier test) {
        final long deadline = System.nanoTime() + within.toNanos();
        while (!test.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not ready within " + within);
            }
            pause(500);
        }
    }

    private static void pause(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * The peer's alerting rules, written from postgres_exporter's documented metrics in the form the widely used
     * "awesome-prometheus-alerts" collection publishes for it: PostgresqlDown (pg_up == 0), PostgresqlReplicationLag
     * (pg_replication_lag > 30 s, from the exporter's example queries.yaml: now() - pg_last_xact_replay_timestamp()),
     * a standby missing from the primary's pg_stat_replication (written here: fewer rows than the cluster's two
     * standbys), and a replication slot nothing uses for a minute (pg_replication_slots_active == 0).
     */
    static final String PEER_RULES = """
            groups:
              - name: postgres-replication
                rules:
                  - alert: PostgresqlDown
                    expr: pg_up == 0
                    for: 0m
                    labels: {severity: critical}
                  - alert: PostgresqlReplicationLag
                    expr: pg_replication_lag > 30
                    for: 0m
                    labels: {severity: critical}
                  - alert: PostgresqlStandbyMissing
                    expr: count by (node) (pg_stat_replication_pg_current_wal_lsn_bytes) < 2
                    for: 0m
                    labels: {severity: critical}
                  - alert: PostgresqlUnusedReplicationSlot
                    expr: pg_replication_slots_active == 0
                    for: 1m
                    labels: {severity: warning}
            """;
}
