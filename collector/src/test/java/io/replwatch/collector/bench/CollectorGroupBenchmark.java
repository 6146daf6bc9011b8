package io.replwatch.collector.bench;

import io.replwatch.avro.ClusterTarget;
import io.replwatch.avro.TargetNode;
import io.replwatch.collector.CollectorMain;
import io.replwatch.collector.targets.TargetsTopic;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Ports;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.SerdeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Collectors as a group over the targets topic, against one collector with a static file, on the sandbox's real
 * broker, registry and PostgreSQL (a primary and two standbys; every node entry is a session on one of them):
 * <ol>
 *   <li>baseline: one collector, a static file of {@code nodes / 3} entries;</li>
 *   <li>three collectors in a group over {@code nodes} targets (the same entries, three times): node-polls/s and CPU
 *       per collector;</li>
 *   <li>a fourth collector joins: how long until it polls its share, and what the others lose meanwhile;</li>
 *   <li>SIGKILL of one: how long until every node it polled is polled by the others (the takeover time).</li>
 * </ol>
 *
 * <p>Run: {@code mvn -B -q -pl collector test-compile exec:exec@group-bench} (options: -Dnodes=3000 -Dinterval=3s
 * -Dseconds=40 -Dsession=10s).
 */
public final class CollectorGroupBenchmark {

    private CollectorGroupBenchmark() {
    }

    record Child(String id, Process process, int port) {
    }

    public static void main(final String[] args) throws Exception {
        final int nodes = Integer.getInteger("nodes", 3000) / 9 * 9;
        final String interval = System.getProperty("interval", "3s");
        final int seconds = Integer.getInteger("seconds", 40);
        final Duration session = io.replwatch.runtime.config.Durations.parse(System.getProperty("session", "10s"));
        try (Sandbox sb = Sandbox.builder().tempDir("group-bench-").standbys(2).maxConnections(nodes / 2 + 200).start()) {
            final Path dir = sb.dir();
            System.out.printf("machine: %d cores, %s; %d targets every %s, session timeout %s%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " "
                            + System.getProperty("java.version"), nodes, interval, session);
            final String kafka = "kafka: {bootstrap.servers: \"%s\"}\nschema_registry: {url: \"%s\"}\n".formatted(
                    sb.kafka().bootstrapServers(), sb.registry().url());
            final List<PgNode> pg = sb.postgres().nodes();

            // 1. Baseline: one collector, a static file with a third of the fleet.
            final StringBuilder fixed = new StringBuilder("""
                    collector_id: static
                    poll_interval: %s
                    max_concurrent_polls: 16
                    connect_timeout: 10s
                    http_port: %d
                    heartbeat_interval: 0s
                    %sdefaults: {host: 127.0.0.1, user: %s, password: %s, sslmode: disable}
                    clusters:
                    """.formatted(interval, Ports.free(), kafka, PgNode.MONITOR_USER, PgNode.MONITOR_PASSWORD));
            for (int c = 0; c < nodes / 9; c++) {
                fixed.append("  - name: s").append(c).append("\n    nodes:\n");
                for (int i = 0; i < 3; i++) {
                    fixed.append("      - {name: n").append(i).append(", port: ").append(pg.get(i).port()).append("}\n");
                }
            }
            final Child base = start(dir, "static", fixed.toString());
            final int baseNodes = nodes / 9 * 3;
            awaitNodes(List.of(base), baseNodes, Duration.ofMinutes(2));
            Thread.sleep(10_000);
            final double[] baseline = measure(List.of(base), seconds).get("static");
            stop(base);
            System.out.printf("static file, 1 collector, %d nodes: %.0f node-polls/s, %.2f s CPU per 1000 polls, RSS %d MiB%n",
                    baseNodes, baseline[0], baseline[1], (long) baseline[2]);

            // 2. Three collectors in a group over the whole fleet.
            final Map<String, ClusterTarget> fleet = new LinkedHashMap<>();
            for (int c = 0; c < nodes / 3; c++) {
                final List<TargetNode> members = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    members.add(TargetNode.newBuilder().setName("n" + i).setHost("127.0.0.1").setPort(pg.get(i).port())
                            .setUser(PgNode.MONITOR_USER).setCredential("bench").setSslmode("disable").build());
                }
                fleet.put("g" + c, ClusterTarget.newBuilder().setCluster("g" + c).setNodes(members)
                        .setAppliedAt(Instant.now()).build());
            }
            final Map<String, String> client = Map.of("bootstrap.servers", sb.kafka().bootstrapServers());
            TargetsTopic.ensure(client, Topics.TARGETS);
            TargetsTopic.publish(client, Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, sb.registry().url()), Topics.TARGETS,
                    TargetsTopic.diff(Map.of(), fleet), Duration.ofSeconds(60));
            final Path credentials = dir.resolve("credentials.yaml");
            Files.writeString(credentials, "credentials: {bench: " + PgNode.MONITOR_PASSWORD + "}\n");
            final List<Child> group = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                group.add(start(dir, "g" + i, groupConfig("g" + i, interval, session, credentials, kafka)));
            }
            try {
                awaitNodes(group, nodes, Duration.ofMinutes(3));
                Thread.sleep(10_000);
                final Map<String, double[]> per = measure(group, seconds);
                double total = 0;
                for (final var e : per.entrySet()) {
                    total += e.getValue()[0];
                    System.out.printf("group member %s: %.0f nodes, %.0f node-polls/s (%.1f%% of the static collector's), "
                                    + "%.2f s CPU per 1000 polls, RSS %d MiB%n", e.getKey(), e.getValue()[3],
                            e.getValue()[0], e.getValue()[0] / baseline[0] * 100, e.getValue()[1], (long) e.getValue()[2]);
                }
                System.out.printf("group of 3: %.0f node-polls/s in all%n", total);

                // 3. A fourth joins.
                final Map<String, Double> before = published(group);
                final long joinAt = System.nanoTime();
                final Child fourth = start(dir, "g4", groupConfig("g4", interval, session, credentials, kafka));
                group.add(fourth);
                awaitBalanced(group, nodes, Duration.ofMinutes(2));
                final double joinSeconds = (System.nanoTime() - joinAt) / 1e9;
                final Map<String, Double> after = published(group);
                double lostShare = 0;
                for (final Child c : group.subList(0, 3)) {
                    lostShare += after.get(c.id()) - before.get(c.id());
                }
                final double offered = nodes / (io.replwatch.runtime.config.Durations.parse(interval).toMillis() / 1000.0);
                System.out.printf("join: the 4th collector polls its share %.1f s after it started (JVM start, group join, "
                                + "cooperative rebalance, catching up its partitions, first polls); meanwhile the group "
                                + "published %.0f node-polls/s against %.0f offered (%.1f%%), the newcomer's included: %.0f%n",
                        joinSeconds, (lostShare + after.get("g4")) / joinSeconds, offered,
                        (lostShare + after.get("g4")) / joinSeconds / offered * 100, after.get("g4"));

                // 4. SIGKILL of one.
                final Child victim = group.remove(0);
                final double victimNodes = gauge(victim.port(), "replwatch_collector_nodes_configured");
                final long killAt = System.nanoTime();
                victim.process().destroyForcibly().waitFor();
                awaitNodes(group, nodes, Duration.ofMinutes(2), "replwatch_collector_nodes_configured");
                final double takeover = (System.nanoTime() - killAt) / 1e9;
                awaitNodes(group, nodes, Duration.ofMinutes(3));
                final double connected = (System.nanoTime() - killAt) / 1e9;
                System.out.printf("takeover: SIGKILL of %s (%.0f nodes): every node assigned to another collector "
                        + "%.1f s later, every one connected and polled %.1f s later (session timeout %s)%n",
                        victim.id(), victimNodes, takeover, connected, session);
                Thread.sleep(5_000);
                final Map<String, double[]> survivors = measure(group, 10);
                double sum = 0;
                for (final double[] v : survivors.values()) {
                    sum += v[0];
                }
                System.out.printf("after the takeover: %.0f node-polls/s by %d collectors (%.0f offered)%n", sum,
                        group.size(), offered);
            } finally {
                group.forEach(CollectorGroupBenchmark::stop);
            }
        }
    }

    private static String groupConfig(final String id, final String interval, final Duration session,
                                      final Path credentials, final String kafka) {
        return """
                collector_id: %s
                poll_interval: %s
                max_concurrent_polls: 16
                connect_timeout: 10s
                http_port: %d
                targets: {session_timeout: %ds, credentials_file: %s}
                %s""".formatted(id, interval, Ports.free(), session.toSeconds(), credentials, kafka);
    }

    private static Child start(final Path dir, final String id, final String yaml) throws IOException {
        final Path cfg = dir.resolve(id + ".yaml");
        Files.writeString(cfg, yaml);
        final Matcher m = Pattern.compile("http_port: (\\d+)").matcher(yaml);
        m.find();
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:MaxMetaspaceSize=96m",
                "-XX:ReservedCodeCacheSize=32m", "-cp", System.getProperty("java.class.path"), CollectorMain.class.getName(),
                "--config", cfg.toString()).redirectErrorStream(true).redirectOutput(dir.resolve(id + ".log").toFile())
                .start();
        return new Child(id, p, Integer.parseInt(m.group(1)));
    }

    private static void stop(final Child c) {
        c.process().destroy();
        try {
            c.process().waitFor();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until the collectors poll {@code total} nodes between them, each connected (reachable). */
    private static void awaitNodes(final List<Child> cs, final int total, final Duration limit) throws Exception {
        awaitNodes(cs, total, limit, "replwatch_collector_nodes_reachable");
    }

    private static void awaitNodes(final List<Child> cs, final int total, final Duration limit, final String gauge)
            throws Exception {
        final long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            double sum = 0;
            for (final Child c : cs) {
                sum += gauge(c.port(), gauge);
            }
            if (sum == total) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("collectors did not reach " + total + " nodes within " + limit);
    }

    /** Waits until every collector polls nodes and they poll {@code total} between them. */
    private static void awaitBalanced(final List<Child> cs, final int total, final Duration limit) throws Exception {
        final long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            double sum = 0;
            boolean all = true;
            for (final Child c : cs) {
                final double n = gauge(c.port(), "replwatch_collector_nodes_configured");
                sum += n;
                all &= n > 0 && gauge(c.port(), "replwatch_collector_samples_published_total") > 0;
            }
            if (all && sum == total) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("collectors did not balance within " + limit);
    }

    private static Map<String, Double> published(final List<Child> cs) throws Exception {
        final Map<String, Double> out = new LinkedHashMap<>();
        for (final Child c : cs) {
            out.put(c.id(), gauge(c.port(), "replwatch_collector_samples_published_total"));
        }
        return out;
    }

    /** Per collector: node-polls/s published, CPU seconds per 1000 polls, RSS MiB, nodes polled. */
    private static Map<String, double[]> measure(final List<Child> cs, final int seconds) throws Exception {
        final Map<String, Double> p0 = published(cs);
        final Map<String, Long> cpu0 = new LinkedHashMap<>();
        for (final Child c : cs) {
            cpu0.put(c.id(), cpuTicks(c.process().pid()));
        }
        final long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        final double elapsed = (System.nanoTime() - t0) / 1e9;
        final Map<String, Double> p1 = published(cs);
        final Map<String, double[]> out = new LinkedHashMap<>();
        for (final Child c : cs) {
            final double polls = p1.get(c.id()) - p0.get(c.id());
            final double cpu = (cpuTicks(c.process().pid()) - cpu0.get(c.id())) / 100.0;
            out.put(c.id(), new double[] {polls / elapsed, polls == 0 ? 0 : cpu / polls * 1000,
                rssKb(c.process().pid()) / 1024.0, gauge(c.port(), "replwatch_collector_nodes_configured")});
        }
        return out;
    }

    private static double gauge(final int port, final String name) throws Exception {
        try {
            return CollectorBenchmark.sum(CollectorBenchmark.scrape(port), name);
        } catch (final IOException e) {
            return 0; // not listening yet
        }
    }

    private static long cpuTicks(final long pid) throws IOException {
        return CollectorBenchmark.cpuTicks(pid);
    }

    private static long rssKb(final long pid) throws IOException {
        return CollectorBenchmark.rssKb(pid);
    }
}
