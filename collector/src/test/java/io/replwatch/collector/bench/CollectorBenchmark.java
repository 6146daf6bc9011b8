package io.replwatch.collector.bench;

import io.replwatch.collector.CollectorMain;
import io.replwatch.collector.poll.PollQuery;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Ports;
import io.replwatch.sandbox.Sandbox;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures one collector process polling many node entries that point at the sandbox's real PostgreSQL nodes,
 * publishing through the sandbox's real broker and registry; then a small collector (3 nodes, 5 s).
 *
 * <p>Run: {@code mvn -B -q -pl collector test-compile exec:exec@bench} (options: -Dnodes=1000 -Dinterval=1s
 * -Dseconds=60). The collector runs in its own JVM so that its resident memory and CPU are its own.
 */
public final class CollectorBenchmark {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private CollectorBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final int nodes = Integer.getInteger("nodes", 1000);
        final String interval = System.getProperty("interval", "1s");
        final int seconds = Integer.getInteger("seconds", 60);
        try (Sandbox sb = Sandbox.builder().tempDir("bench-").standbys(2).maxConnections(nodes + 100).start()) {
            final Path dir = sb.dir();
            System.out.printf("machine: %d cores, %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            queryCost(sb);
            run(sb, dir, "fleet", nodes, interval, seconds, "-Xmx128m");
            run(sb, dir, "beside-a-cluster", 3, "5s", seconds, "-Xmx32m");
        }
    }

    /** Server-side cost of one poll statement (EXPLAIN ANALYZE execution time), on the primary and a standby. */
    private static void queryCost(final Sandbox sb) throws Exception {
        for (final PgNode n : List.of(sb.postgres().primary(), sb.postgres().standbys().get(0))) {
            try (Connection c = n.connect(PgNode.MONITOR_USER, PgNode.MONITOR_PASSWORD); Statement s = c.createStatement()) {
                final int version;
                try (ResultSet rs = s.executeQuery("SHOW server_version_num")) {
                    rs.next();
                    version = Integer.parseInt(rs.getString(1));
                }
                final String sql = "EXPLAIN (ANALYZE, TIMING OFF) " + PollQuery.sql(version, false);
                final List<Double> ms = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    try (ResultSet rs = s.executeQuery(sql)) {
                        while (rs.next()) {
                            final Matcher m = Pattern.compile("Execution Time: ([0-9.]+) ms").matcher(rs.getString(1));
                            if (m.find() && i >= 100) {
                                ms.add(Double.parseDouble(m.group(1)));
                            }
                        }
                    }
                }
                ms.sort(Double::compare);
                System.out.printf("poll query on %s: median %.3f ms, p99 %.3f ms server execution time (%d runs)%n",
                        n.name(), ms.get(ms.size() / 2), ms.get((int) (ms.size() * 0.99)), ms.size());
            }
        }
    }

    private static void run(final Sandbox sb, final Path dir, final String label, final int count,
                            final String interval, final int seconds, final String heap) throws Exception {
        final int port = Ports.free();
        final StringBuilder yaml = new StringBuilder("""
                collector_id: bench
                poll_interval: %s
                max_concurrent_polls: 16
                http_port: %d
                kafka:
                  bootstrap.servers: %s
                schema_registry:
                  url: %s
                defaults: {host: 127.0.0.1, user: monitor, password: monitor}
                clusters:
                """.formatted(interval, port, sb.kafka().bootstrapServers(), sb.registry().url()));
        final List<PgNode> pg = sb.postgres().nodes();
        final int clusters = Math.max(1, count / 3);
        for (int c = 0; c < clusters; c++) {
            yaml.append("  - name: c").append(c).append("\n    nodes:\n");
            for (int i = 0; i < 3 && c * 3 + i < count; i++) {
                yaml.append("      - {name: n").append(i).append(", port: ").append(pg.get(i).port()).append("}\n");
            }
        }
        final Path cfg = dir.resolve(label + ".yaml");
        Files.writeString(cfg, yaml);
        final String cp = System.getProperty("java.class.path");
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:MaxMetaspaceSize=96m",
                "-XX:ReservedCodeCacheSize=32m", "-cp", cp, CollectorMain.class.getName(), "--config", cfg.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(label + ".log").toFile())
                .start();
        try {
            final long warmup = Math.min(20, seconds / 3);
            Thread.sleep(warmup * 1000);
            final double published0 = metric(port, "replwatch_collector_samples_published_total");
            final double skipped0 = metric(port, "replwatch_collector_polls_skipped_total");
            final long cpu0 = cpuTicks(p.pid());
            final long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            final double published1 = metric(port, "replwatch_collector_samples_published_total");
            final long cpu1 = cpuTicks(p.pid());
            final double elapsed = (System.nanoTime() - t0) / 1e9;
            final double polls = published1 - published0;
            final double cpuSeconds = (cpu1 - cpu0) / 100.0;
            final String scrape = scrape(port);
            System.out.printf("%s: %d nodes every %s for %.0f s: %.0f node-polls/s published; poll latency p50 %.1f ms,"
                            + " p99 %.1f ms; skipped %.0f during the measurement; failures %.0f; collector RSS %d MiB; CPU %.2f s per 1000"
                            + " polls, %.1f%% of one core%n",
                    label, count, interval, elapsed, polls / elapsed,
                    value(scrape, "replwatch_collector_poll_duration_seconds\\{quantile=\"0.5\"") * 1000,
                    value(scrape, "replwatch_collector_poll_duration_seconds\\{quantile=\"0.99\"") * 1000,
                    sum(scrape, "replwatch_collector_polls_skipped_total") - skipped0,
                    sum(scrape, "replwatch_collector_poll_failures_total"),
                    rssKb(p.pid()) / 1024, polls == 0 ? 0 : cpuSeconds / polls * 1000, cpuSeconds / elapsed * 100);
        } finally {
            p.destroy();
            p.waitFor();
        }
    }

    static String scrape(final int port) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double metric(final int port, final String name) throws Exception {
        return sum(scrape(port), name);
    }

    private static double value(final String scrape, final String prefix) {
        final Matcher m = Pattern.compile("^" + prefix + "[^ ]* ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    static double sum(final String scrape, final String name) {
        final Matcher m = Pattern.compile("^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(scrape);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(2));
        }
        return total;
    }

    static long cpuTicks(final long pid) throws IOException {
        final String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static long rssKb(final long pid) throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
