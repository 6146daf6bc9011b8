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
 * <p>Run: {@code mvn -B -q -pl compare test-compile exec:exec@compare} after {@code mvn -B -q install -DskipTests} (needs prometheus, prometheus-alertmanager
 * and prometheus-postgres-exporter from Debian; {@code -Dcompare.idle=2m} for a shorter idle phase). The report goes
 * to stdout and {@code compare/target/compare.md}.
 */
public final class SideBySide {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A notification as the receiver got it: which stack, when, firing or resolved, the alert's name and node. */
    record Note(String stack, long at, String status, String alert, String node) {
    }

    /**
     * One fault: the node it concerns (null: none, every notification is false), when its lever was pulled, when it
     * was undone ({@code Long.MAX_VALUE}: never), and the end of the window its notifications are counted in.
     */
    record Fault(String name, String node, long start, long end, long until) {
    }

    private final List<Note> notes = new CopyOnWriteArrayList<>();
    private long t0;
    private final List<Process> children = new ArrayList<>();
    private final Path dir;

    private final int burstSize;
    private final List<String> problems = new ArrayList<>();

    private SideBySide(final Path dir, final int burstSize) {
        this.dir = dir;
        this.burstSize = burstSize;
    }

    public static void main(final String[] args) throws Exception {
        final Duration idle = Duration.parse("PT" + System.getProperty("compare.idle", "10m").toUpperCase(Locale.ROOT));
        final Duration fault = Duration.parse("PT" + System.getProperty("compare.fault", "60s").toUpperCase(Locale.ROOT));
        final Path out = Path.of(System.getProperty("compare.out", "compare/target/compare.md"));
        final List<String> missing = missingBinaries();
        if (!missing.isEmpty()) {
            System.err.println("compare: " + missing + " missing (apt-get install prometheus prometheus-alertmanager"
                    + " prometheus-postgres-exporter)");
            System.exit(2);
        }
        final Outcome o = execute(idle, fault, Integer.getInteger("compare.burst", 2000), out);
        System.out.println(o.report());
        if (!o.problems().isEmpty()) {
            System.err.println("compare: " + o.problems());
            System.exit(1);
        }
        System.exit(0);
    }

    /** The report, and what went wrong on replwatch's side (a fault it did not notify, a false page, a lost alert). */
    record Outcome(String report, List<String> problems) {
    }

    static List<String> missingBinaries() {
        return List.of("/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager", "/usr/bin/prometheus-postgres-exporter")
                .stream().filter(b -> !Files.isExecutable(Path.of(b))).toList();
    }

    /** One whole comparison on a sandbox of its own; the report also goes to {@code out} (and its notifications). */
    static Outcome execute(final Duration idle, final Duration fault, final int burst, final Path out)
            throws Exception {
        try (Sandbox sb = Sandbox.builder().tempDir("compare-").standbys(2).start()) {
            final SideBySide run = new SideBySide(sb.dir(), burst);
            try {
                final String report = run.run(sb, idle, fault);
                Files.createDirectories(out.toAbsolutePath().getParent());
                Files.writeString(out, report);
                Files.writeString(out.resolveSibling("compare-notifications.txt"), run.notesText(run.t0));
                return new Outcome(report, List.copyOf(run.problems));
            } finally {
                run.stopChildren();
            }
        }
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
                    - {matchers: ['stack="burst"'], receiver: burst}
                    - {matchers: ['rule=~".+"'], receiver: blackhole}
                receivers:
                  - {name: p15, webhook_configs: [{url: "http://127.0.0.1:%d/p15", send_resolved: true}]}
                  - {name: p1, webhook_configs: [{url: "http://127.0.0.1:%d/p1", send_resolved: true}]}
                  - {name: burst, webhook_configs: [{url: "http://127.0.0.1:%d/burst-alertmanager", send_resolved: false}]}
                  - {name: blackhole}
                """.formatted(hookPort, hookPort, hookPort));
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
                route:
                  receiver: hook
                  group_by: [cluster, node]
                  group_wait: 0s
                  group_interval: 10s
                  routes:
                    - {receiver: alertmanager, continue: true}
                    - {receiver: hook}
                receivers:
                  - {name: hook, type: webhook, format: alertmanager, url: "http://127.0.0.1:%d/replwatch"}
                  - {name: alertmanager, type: alertmanager, url: "http://127.0.0.1:%d"}
                """.formatted(kafka, registry, hookPort, amPort), k -> null)).start();
        processor.awaitRunning(Duration.ofSeconds(90));
        final Process collector = start(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-Dlogback.configurationFile=" + System.getProperty("logback.configurationFile"),
                "-cp", System.getProperty("java.class.path"), "io.replwatch.collector.CollectorMain", "--config",
                collectorConfig.toString()), "collector");
        final AtomicBoolean watching = new AtomicBoolean(true);
        final Thread amWatch = new Thread(() -> {
            while (watching.get()) {
                watchAlertmanager(amPort);
                pause(1000);
            }
        }, "alertmanager-watch");
        amWatch.setDaemon(true);
        amWatch.start();
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
            t0 = idleStart;
            Thread.sleep(idle.toMillis()); // the fault itself: an idle primary for this long
            final long idleEnd = System.currentTimeMillis();
            final Map<String, long[]> backendsAfter = backends(pg, nodes);
            final long[] collectorAfter = cpuAndRss(collector.pid());
            final Map<String, long[]> exportersAfter = new LinkedHashMap<>();
            exporters.forEach((n, p) -> exportersAfter.put(n, cpuAndRss(p.pid())));
            final List<Fault> faults = new ArrayList<>();
            faults.add(new Fault("idle primary " + (idle.toSeconds() % 60 == 0 ? idle.toMinutes() + " min"
                    : idle.toSeconds() + " s"), null, idleStart, idleEnd, idleEnd));

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
                Thread.sleep(40_000); // the write load on: both stacks see writes before the first fault
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
                faults.add(new Fault("primary stopped, standby1 promoted", "primary", failoverAt, Long.MAX_VALUE,
                        System.currentTimeMillis() + 20_000));
            } finally {
                writing.set(false);
                writer.interrupt();
                writer.join(10_000);
            }
            pause(20_000); // the last notifications in flight
            watching.set(false);
            watchEnd = System.currentTimeMillis();
            final String timeline = report(faults, warmupNotes, idleStart, idleEnd, backendsBefore, backendsAfter,
                    collectorBefore, collectorAfter, exportersBefore, exportersAfter, nodes.size(), promPorts)
                    + alertmanagerReport();
            collector.destroy();
            alerter.close();
            System.out.println(timeline);
            String burst;
            try {
                burst = burst(kafka, registry, hookPort, amPort);
            } catch (final Exception e) {
                burst = "\nThe burst failed: " + e + "\n";
            }
            return timeline + burst;
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
        return new Fault(name, node, start, end, System.currentTimeMillis());
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
        b.append("| fault | stack | first notification about the node after the lever | alert | already firing for the"
                + " node at the lever | resolved after the lever was undone | notifications about other nodes |\n");
        b.append("|---|---|---|---|---|---|---|\n");
        for (final Fault f : faults) {
            for (final String stack : stacks) {
                final List<Note> in = notes.stream().filter(n -> n.stack().equals(stack) && n.at() >= f.start()
                        && n.at() < f.until()).toList();
                if (f.node() == null) {
                    if (stack.equals("replwatch") && !in.isEmpty()) {
                        problems.add("replwatch paged during " + f.name() + ": " + in);
                    }
                    b.append("| ").append(f.name()).append(" | ").append(stack).append(" | ")
                            .append(in.isEmpty() ? "none (right)" : in.size() + " FALSE: " + in.stream()
                                    .map(n -> n.status() + " " + n.alert() + "@" + n.node() + " at "
                                            + seconds(n.at() - f.start())).limit(6).toList())
                            .append(" | - | - | - | - |\n");
                    continue;
                }
                final Predicate<Note> mine = n -> f.node().equals(n.node())
                        || (f.node().equals("primary") && "standby1".equals(n.node()))
                        || (f.node().startsWith("standby") && "primary".equals(n.node()) && MISSING.contains(n.alert()));
                final Note first = in.stream().filter(n -> n.status().equals("firing")).filter(mine).findFirst()
                        .orElse(null);
                final Note resolved = f.end() == Long.MAX_VALUE ? null : in.stream()
                        .filter(n -> n.status().equals("resolved") && n.at() >= f.end()).filter(mine).findFirst()
                        .orElse(null);
                final long others = in.stream().filter(mine.negate()).count();
                if (stack.equals("replwatch") && first == null) {
                    problems.add("replwatch did not notify " + f.name());
                }
                b.append("| ").append(f.name()).append(" | ").append(stack).append(" | ")
                        .append(first == null ? "not notified" : seconds(first.at() - f.start()))
                        .append(" | ").append(first == null ? "-" : first.alert() + "@" + first.node())
                        .append(" | ").append(firingAt(stack, f.node(), f.start()))
                        .append(" | ").append(f.end() == Long.MAX_VALUE ? "-"
                                : resolved == null ? "not resolved" : seconds(resolved.at() - f.end()))
                        .append(" | ").append(others).append(" |\n");
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

    /** Alerts on a primary that are about one of its standbys: it is missing from the primary's senders. */
    static final java.util.Set<String> MISSING = java.util.Set.of("PostgresqlStandbyMissing", "SYNC_STANDBY_MISSING",
            "STANDBY_MISSING");

    /** Alerts about {@code node} firing for {@code stack} at {@code at}: their last notification said firing. */
    private String firingAt(final String stack, final String node, final long at) {
        final Map<String, String> last = new LinkedHashMap<>();
        for (final Note n : notes) {
            if (n.stack().equals(stack) && node.equals(n.node()) && n.at() < at) {
                last.put(n.alert(), n.status());
            }
        }
        final List<String> firing = last.entrySet().stream().filter(e -> e.getValue().equals("firing"))
                .map(Map.Entry::getKey).toList();
        return firing.isEmpty() ? "-" : String.join(", ", firing);
    }

    /** Every notification, relative to the first fault's start: the raw data behind the table. */
    String notesText(final long t0) {
        final StringBuilder b = new StringBuilder();
        for (final Note n : notes) {
            b.append(String.format(Locale.ROOT, "%9.1f s  %-9s  %-8s  %-32s %s%n", (n.at() - t0) / 1000.0, n.stack(),
                    n.status(), n.alert(), n.node()));
        }
        return b.toString();
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

    // ---- the same burst of alerts through replwatch's alerter and through Alertmanager

    /**
     * Notifications in flight to the receiver from replwatch's alerter (its default is 4; Alertmanager sends every
     * group's notification at once, without a limit). A trial run at the default gave 665/s, p99 2.9 s.
     */
    static final int BURST_CONCURRENCY = Integer.getInteger("compare.burst.concurrency", 32);

    /**
     * {@code burstSize} alerts at once, each its own group (one node each), through replwatch's alerter (as health
     * transitions on Kafka) and then through Alertmanager (posted to its API in batches of 100), to the same
     * receiver: notifications per second over the burst, and each notification's latency from its send.
     */
    private String burst(final String kafka, final String registry, final int hookPort, final int amPort)
            throws Exception {
        final Map<String, Long> sent = new java.util.concurrent.ConcurrentHashMap<>();
        final StringBuilder b = new StringBuilder("\n### The same burst: " + burstSize + " alerts, one group each, to one"
                + " receiver\n\n| | notifications | per second (first send to last receipt) | latency p50 | p99 | max |\n"
                + "|---|---|---|---|---|---|\n");
        try (AlerterService burst = new AlerterService(AlerterConfig.parse("""
                group_id: compare-burst
                http_port: 0
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                route: {receiver: hook, group_by: [cluster, node], group_wait: 0s, group_interval: 10s}
                receivers:
                  - {name: hook, type: webhook, format: alertmanager, url: "http://127.0.0.1:%d/burst-replwatch", concurrency: %d}
                """.formatted(kafka, registry, hookPort, BURST_CONCURRENCY), k -> null)).start()) {
            awaitTrue(Duration.ofSeconds(60), burst::assigned);
            pause(5_000); // the sandbox cluster's own transitions, read again by this new group, are out of the way
            final io.replwatch.serde.AvroSerializer<io.replwatch.avro.HealthTransition> ser =
                    new io.replwatch.serde.AvroSerializer<>();
            ser.configure(Map.of("schema.registry.url", registry), false);
            try (org.apache.kafka.clients.producer.KafkaProducer<String, io.replwatch.avro.HealthTransition> p =
                         new org.apache.kafka.clients.producer.KafkaProducer<>(Map.of("bootstrap.servers", kafka,
                                 "linger.ms", 5), new org.apache.kafka.common.serialization.StringSerializer(), ser)) {
                for (int i = 0; i < burstSize; i++) {
                    final String node = "rw-" + i;
                    final io.replwatch.avro.HealthTransition t = io.replwatch.avro.HealthTransition.newBuilder()
                            .setId("burst-" + i).setCluster("burst").setNode(node)
                            .setFromState(io.replwatch.avro.HealthState.HEALTHY)
                            .setToState(io.replwatch.avro.HealthState.WARNING).setAt(Instant.now())
                            .setReasons(List.of(io.replwatch.avro.HealthReason.newBuilder().setRule("BURST")
                                    .setSeverity(io.replwatch.avro.HealthState.WARNING).setMessage("burst " + i)
                                    .setSince(Instant.now()).build()))
                            .setCleared(List.of()).setRole("STANDBY").setLabels(Map.of()).build();
                    sent.put(node, System.currentTimeMillis());
                    p.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
                            io.replwatch.schemas.Topics.HEALTH_TRANSITIONS, "burst", t));
                }
            }
            b.append(burstRow("replwatch alerter (concurrency " + BURST_CONCURRENCY + ")", "burst-replwatch", sent));
        }
        sent.clear();
        for (int i = 0; i < burstSize; i += 100) {
            final StringBuilder batch = new StringBuilder("[");
            final long now = System.currentTimeMillis();
            for (int j = i; j < Math.min(burstSize, i + 100); j++) {
                batch.append(j == i ? "" : ",").append("{\"labels\":{\"alertname\":\"BURST\",\"stack\":\"burst\","
                        + "\"cluster\":\"burst\",\"node\":\"am-").append(j).append("\"},\"annotations\":{\"summary\":"
                        + "\"burst ").append(j).append("\"}}");
                sent.put("am-" + j, now);
            }
            HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + amPort + "/api/v2/alerts"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(batch.append("]").toString())).build(),
                    HttpResponse.BodyHandlers.discarding());
        }
        b.append(burstRow("Alertmanager 0.25", "burst-alertmanager", sent));
        return b.toString();
    }

    /** Waits for every sent alert's notification (at most 2 minutes) and makes the table row. */
    private String burstRow(final String name, final String stack, final Map<String, Long> sent) {
        final long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline && received(stack, sent).size() < sent.size()) {
            pause(200);
        }
        final Map<String, Long> got = received(stack, sent);
        if (stack.equals("burst-replwatch") && got.size() < sent.size()) {
            problems.add(name + " delivered " + got.size() + " of " + sent.size() + " burst alerts");
        }
        final long first = sent.values().stream().mapToLong(Long::longValue).min().orElse(0);
        final long last = got.values().stream().mapToLong(Long::longValue).max().orElse(first);
        final long[] lat = got.entrySet().stream().mapToLong(e -> e.getValue() - sent.get(e.getKey())).sorted().toArray();
        return String.format(Locale.ROOT, "| %s | %d of %d | %.0f | %s | %s | %s |%n", name, got.size(), sent.size(),
                got.size() * 1000.0 / Math.max(1, last - first), pct(lat, 0.5), pct(lat, 0.99),
                lat.length == 0 ? "-" : lat[lat.length - 1] + " ms");
    }

    /** First receipt per sent node at the receiver's path. */
    private Map<String, Long> received(final String stack, final Map<String, Long> sent) {
        final Map<String, Long> got = new LinkedHashMap<>();
        for (final Note n : notes) {
            if (n.stack().equals(stack) && n.node() != null && sent.containsKey(n.node())) {
                got.putIfAbsent(n.node(), n.at());
            }
        }
        return got;
    }

    private static String pct(final long[] sorted, final double q) {
        return sorted.length == 0 ? "-" : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)]
                + " ms";
    }

    // ---- replwatch's alerts in the real Alertmanager (its `alertmanager` receiver)

    /** An alert replwatch posted to Alertmanager, as Alertmanager's API showed it: first and last seen active. */
    record Seen(String alert, String node, long first, long last, long endsAt) {
    }

    private final Map<String, Seen> inAlertmanager = new java.util.concurrent.ConcurrentHashMap<>();
    private long watchEnd = Long.MAX_VALUE;

    /** Polls Alertmanager's API for the active alerts replwatch sent there (they carry replwatch's `rule` label). */
    private void watchAlertmanager(final int port) {
        try {
            final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v2/alerts?active=true&silenced=true&inhibited=true")).build(),
                    HttpResponse.BodyHandlers.ofString());
            final long now = System.currentTimeMillis();
            for (final JsonNode a : JSON.readTree(r.body())) {
                final JsonNode l = a.path("labels");
                if (!l.has("rule")) {
                    continue; // the peer's own alerts
                }
                final String key = a.path("fingerprint").asText() + "@" + a.path("startsAt").asText();
                final long endsAt = Instant.parse(a.path("endsAt").asText("9999-12-31T00:00:00Z")).toEpochMilli();
                inAlertmanager.merge(key, new Seen(l.path("alertname").asText(), l.path("node").asText(null), now, now,
                        endsAt), (x, y) -> new Seen(x.alert(), x.node(), x.first(), y.last(), y.endsAt()));
            }
        } catch (final IOException | RuntimeException e) {
            // not up yet, or stopping
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Each alert replwatch's webhook got (firing, then resolved) against what Alertmanager's API showed: seen
     * active there, and gone from it once replwatch resolved it.
     */
    private String alertmanagerReport() {
        final StringBuilder b = new StringBuilder("\n### replwatch's alerts in Alertmanager 0.25 (its `alertmanager`"
                + " receiver, read back from Alertmanager's API every second)\n\n");
        int fired = 0;
        int seen = 0;
        int resolved = 0;
        int gone = 0;
        long worstGone = 0;
        long worstSeen = 0;
        for (final Note n : notes) {
            if (!n.stack().equals("replwatch") || !n.status().equals("firing") || n.at() >= watchEnd - 3000) {
                continue; // (the last 3 s: not necessarily polled yet)
            }
            fired++;
            final Seen s = inAlertmanager.values().stream().filter(x -> x.alert().equals(n.alert())
                    && java.util.Objects.equals(x.node(), n.node()) && x.last() >= n.at() - 2000).findFirst().orElse(null);
            if (s == null) {
                continue;
            }
            seen++;
            worstSeen = Math.max(worstSeen, Math.max(0, s.first() - n.at()));
            final Note res = notes.stream().filter(x -> x.stack().equals("replwatch") && x.status().equals("resolved")
                    && x.alert().equals(n.alert()) && java.util.Objects.equals(x.node(), n.node()) && x.at() > n.at())
                    .findFirst().orElse(null);
            if (res != null && res.at() < watchEnd - 12_000) { // watched for a group_interval and more after it
                resolved++;
                // Resolved in Alertmanager: replwatch posts the alert again with its real endsAt, and Alertmanager
                // drops it from its active alerts. The two receivers' groups flush independently: within the
                // route's group_interval (10 s) of each other, plus the 1 s polling.
                if (s.last() <= res.at() + 11_000) {
                    gone++;
                    worstGone = Math.max(worstGone, Math.max(0, s.last() + 1000 - res.at()));
                }
            }
        }
        if (seen < fired || gone < resolved) {
            problems.add("replwatch's alerts in Alertmanager: " + seen + " of " + fired + " seen, " + gone + " of "
                    + resolved + " resolved there");
        }
        b.append(String.format(Locale.ROOT, "%d alerts fired at replwatch's webhook; %d of them active in Alertmanager"
                + " (at most %.1f s after the webhook got them, at 1 s polling); %d resolved at the webhook (12 s or more before the watch ended), %d of those"
                + " gone from Alertmanager's active alerts within the group_interval (at most %.1f s after the webhook's"
                + " resolution)%n", fired, seen,
                worstSeen / 1000.0, resolved, gone, worstGone / 1000.0));
        return b.toString();
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
        final HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        s.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(16));
        for (final String stack : List.of("replwatch", "p15", "p1", "burst-replwatch", "burst-alertmanager")) {
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
     * "awesome-prometheus-alerts" collection publishes for it: PostgresqlDown (pg_up == 0), PrometheusTargetMissing
     * (up == 0: the exporter's scrape failed, as when PostgreSQL is down and the scrape times out), PostgresqlReplicationLag
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
                  - alert: PrometheusTargetMissing
                    expr: up == 0
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
