package io.replwatch.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.cli.Cli;
import io.replwatch.collector.targets.TargetsTopic;
import io.replwatch.processor.ProcessorService;
import io.replwatch.processor.config.ProcessorConfig;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.TopicReader;
import io.replwatch.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Collectors as a Kafka consumer group over the targets topic, on the sandbox's real broker and registry, polling
 * real PostgreSQL (a primary and a standby, watched as 12 clusters, one per partition of the targets topic), with
 * the processor reading what they publish:
 * <ol>
 *   <li>{@code targets apply} with a bad file lists every problem and publishes nothing; a good one publishes.</li>
 *   <li>Three collectors (child JVMs) share the clusters out; in steady state no node is polled by two.</li>
 *   <li>SIGKILL of one: its clusters are polled by the others within 2 x the session timeout (6 s) plus a poll
 *       interval; no sequence gap; no SAMPLES_STALE and no COLLECTOR_DOWN (taken over in time).</li>
 *   <li>A cluster added with {@code targets apply} is polled within seconds; one removed is gone from the
 *       processor's API.</li>
 *   <li>SIGKILL of the last two: nobody takes over, so one COLLECTOR_DOWN per collector naming its clusters, and no
 *       SAMPLES_STALE storm.</li>
 * </ol>
 */
@Tag("chaos")
class CollectorGroupIT {

    private static final int PARTITIONS = TargetsTopic.PARTITIONS;
    private static final Duration SESSION = Duration.ofSeconds(6);
    private static final Duration TAKEOVER = Duration.ofSeconds(12);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void collectorsShareTheFleetTakeOverFromEachOtherAndFollowTargetChanges() throws Exception {
        try (Sandbox sb = Sandbox.builder().tempDir("collector-group-").standbys(1).start()) {
            final Path dir = sb.dir();
            final String bootstrap = sb.kafka().bootstrapServers();
            final String registry = sb.registry().url();
            final PgNode primary = sb.postgres().primary();
            final PgNode standby = sb.postgres().standbys().get(0);
            // One cluster per partition: every collector gets clusters whatever the assignment.
            final List<String> clusters = onePerPartition("fleet-", PARTITIONS);
            final String extra = "late-0";

            // 1. A bad targets file: every problem, nothing published.
            final Path bad = dir.resolve("bad.yaml");
            Files.writeString(bad, """
                    defaults: {password: not-here}
                    clusters:
                      - name: ok
                        nodes: [{name: a, host: 127.0.0.1, user: u}]
                      - name: "no/slash"
                        nodes: [{name: a, host: "x y", user: u}]
                    """);
            final Cli.Run badRun = cli("targets", "apply", bad.toString(), "--bootstrap", bootstrap, "--registry", registry);
            assertThat(badRun.exit()).isEqualTo(2);
            assertThat(badRun.err()).contains("defaults.password: secrets stay out of Kafka")
                    .contains("clusters[1].name:").contains("clusters[1].nodes[0].host:").contains("Nothing was published")
                    .doesNotContain("not-here");

            final Path fleet = dir.resolve("fleet.yaml");
            Files.writeString(fleet, targets(clusters, primary, standby));
            final Cli.Run applied = cli("targets", "apply", fleet.toString(), "--bootstrap", bootstrap, "--registry", registry);
            assertThat(applied.exit()).as(applied.err()).isZero();
            assertThat(applied.out()).contains("12 to add, 0 to change, 0 to remove, 0 unchanged");
            assertThat(cli("targets", "list", "--bootstrap", bootstrap, "--registry", registry).out())
                    .contains("12 clusters");

            // A record no collector can decode (not Avro in the wire format): skipped, logged and counted, never fatal.
            try (org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> raw =
                         new org.apache.kafka.clients.producer.KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                                 new org.apache.kafka.common.serialization.StringSerializer(),
                                 new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                for (int p = 0; p < PARTITIONS; p++) {
                    raw.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.TARGETS, p, "broken-" + p,
                            new byte[] {1, 2, 3})).get();
                }
            }
            assertThat(cli("targets", "list", "--bootstrap", bootstrap, "--registry", registry).out())
                    .contains("12 clusters, 12 unreadable records").contains("broken-0");

            final String kafka = "kafka: {bootstrap.servers: \"%s\"}\nschema_registry: {url: \"%s\"}\n".formatted(
                    bootstrap, registry);
            try (ProcessorService processor = new ProcessorService(ProcessorConfig.parse("""
                    application_id: collector-group-it
                    http_port: 0
                    advertised_url: http://127.0.0.1:0
                    state_dir: %s
                    partitions: 3
                    punctuate_interval: 500ms
                    node_health_every: 1s
                    stale_min: 3s
                    collector_takeover: %ds
                    %s""".formatted(dir.resolve("streams"), TAKEOVER.toSeconds(), kafka), k -> null)).start();
                 TopicReader<ReplicationSample> samples = TopicReader.follow(bootstrap, registry, Topics.SAMPLES,
                         ReplicationSample.class);
                 TopicReader<HealthTransition> transitions = TopicReader.follow(bootstrap, registry,
                         Topics.HEALTH_TRANSITIONS, HealthTransition.class)) {
                processor.awaitRunning(Duration.ofSeconds(60));
                final Path credentials = dir.resolve("credentials.yaml");
                Files.writeString(credentials, "credentials:\n  sandbox-monitor: " + PgNode.MONITOR_PASSWORD + "\n");
                final Map<String, Process> collectors = new LinkedHashMap<>();
                for (final String id : List.of("col-1", "col-2", "col-3")) {
                    final Path cfg = dir.resolve(id + ".yaml");
                    Files.writeString(cfg, """
                            collector_id: %s
                            poll_interval: 1s
                            heartbeat_interval: 1s
                            http_port: -1
                            targets: {session_timeout: %ds, credentials_file: %s}
                            %s""".formatted(id, SESSION.toSeconds(), credentials, kafka));
                    collectors.put(id, start(cfg, Path.of("target", "collector-group-" + id + ".log")));
                }
                try {
                    // 2. Shared out: every cluster polled, by one collector each, all three collectors busy.
                    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                        final Map<String, Set<String>> by = pollersByCluster(samples, 3_000);
                        return by.keySet().containsAll(clusters) && by.values().stream().allMatch(s -> s.size() == 1)
                                && by.values().stream().flatMap(Set::stream).distinct().count() == 3;
                    });
                    // Held for 8 s (the window the steady-state assertion below looks at).
                    await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofSeconds(1))
                            .until(() -> pollersByCluster(samples, 3_000).values().stream().allMatch(s -> s.size() == 1));
                    for (final String id : collectors.keySet()) {
                        assertThat(Files.readString(Path.of("target", "collector-group-" + id + ".log")))
                                .as("the undecodable target records were skipped and said so")
                                .contains("cannot be decoded; skipped");
                    }
                    final Map<String, Set<String>> steady = pollersByCluster(samples, 8_000);
                    assertThat(steady.values()).as("steady state: each cluster polled by exactly one collector")
                            .allMatch(s -> s.size() == 1);
                    final Map<String, List<String>> share = new TreeMap<>();
                    steady.forEach((c, s) -> share.computeIfAbsent(s.iterator().next(), k -> new ArrayList<>()).add(c));
                    System.out.printf("GROUP steady state: %s%n", share.entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue().size()).collect(Collectors.joining(", ")));
                    // The processor's API lists them: alive, each with the clusters it polls.
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        final Map<String, com.fasterxml.jackson.databind.JsonNode> api = collectorsApi(processor);
                        assertThat(api.keySet()).containsExactlyInAnyOrderElementsOf(share.keySet());
                        api.forEach((id, c) -> {
                            assertThat(c.path("alive").asBoolean()).as("%s alive", id).isTrue();
                            final Set<String> listed = new TreeSet<>();
                            c.path("clusters").forEach(x -> listed.add(x.asText()));
                            assertThat(listed).as("%s's clusters", id).containsAll(share.get(id));
                        });
                    });

                    // 3. SIGKILL of the collector with the most clusters.
                    final String victim = share.entrySet().stream().max(Map.Entry.comparingByValue(
                            java.util.Comparator.comparingInt(List::size))).orElseThrow().getKey();
                    final List<String> orphaned = share.get(victim);
                    final int before = samples.records().size();
                    final long killedAt = System.currentTimeMillis();
                    collectors.remove(victim).destroyForcibly().waitFor();
                    final Map<String, Long> takenAt = new HashMap<>();
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                        final List<ReplicationSample> all = samples.records();
                        final List<Long> at = samples.arrivals();
                        for (int i = before; i < all.size(); i++) {
                            final ReplicationSample s = all.get(i);
                            if (orphaned.contains(s.getCluster()) && !s.getCollectorId().equals(victim)) {
                                takenAt.putIfAbsent(s.getCluster() + "/" + s.getNode(), at.get(i));
                            }
                        }
                        return takenAt.size() == orphaned.size() * 2;
                    });
                    final long takeover = takenAt.values().stream().mapToLong(Long::longValue).max().orElseThrow() - killedAt;
                    System.out.printf("GROUP takeover after SIGKILL of %s (%d clusters): %d ms (session timeout %d ms)%n",
                            victim, orphaned.size(), takeover, SESSION.toMillis());
                    assertThat(takeover).as("every orphaned node polled again within 2 x session timeout + a poll")
                            .isLessThan(2 * SESSION.toMillis() + 1_000);
                    // Past the takeover time (the victim is forgotten), nothing stale and no COLLECTOR_DOWN throughout.
                    await().during(TAKEOVER.plusSeconds(4)).atMost(TAKEOVER.plusSeconds(20)).pollInterval(Duration.ofMillis(500))
                            .until(() -> !rules(transitions.records()).contains("SAMPLES_STALE")
                                    && !rules(transitions.records()).contains("COLLECTOR_DOWN"));
                    assertThat(gaps(samples.records())).as("no sequence gap from any collector").isEmpty();
                    assertThat(rules(transitions.records())).as("nothing stale, no COLLECTOR_DOWN: taken over in time")
                            .doesNotContain("SAMPLES_STALE", "COLLECTOR_DOWN");

                    // 4. A cluster added is polled within seconds; a cluster removed leaves the processor's API.
                    final List<String> grown = new ArrayList<>(clusters);
                    grown.add(extra);
                    Files.writeString(fleet, targets(grown, primary, standby));
                    final long appliedAt = System.currentTimeMillis();
                    assertThat(cli("targets", "apply", fleet.toString(), "--bootstrap", bootstrap, "--registry", registry)
                            .out()).contains("1 to add, 0 to change, 12 to remove, 12 unchanged")
                            .contains("- broken-0 (an unreadable record: Unknown magic byte 0x01");
                    final long[] firstPoll = {0};
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                        final List<ReplicationSample> all = samples.records();
                        for (int i = 0; i < all.size(); i++) {
                            if (all.get(i).getCluster().equals(extra)) {
                                firstPoll[0] = samples.arrivals().get(i);
                                return true;
                            }
                        }
                        return false;
                    });
                    System.out.printf("GROUP cluster added: first sample %d ms after targets apply%n", firstPoll[0] - appliedAt);
                    assertThat(firstPoll[0] - appliedAt).as("a new cluster is polled within seconds").isLessThan(10_000);

                    final String removed = clusters.get(0);
                    await().atMost(Duration.ofSeconds(20)).until(() -> status(processor, removed) == 200);
                    grown.remove(removed);
                    Files.writeString(fleet, targets(grown, primary, standby));
                    final long removedAt = System.currentTimeMillis();
                    assertThat(cli("targets", "apply", fleet.toString(), "--bootstrap", bootstrap, "--registry", registry)
                            .out()).contains("- " + removed).contains("0 to add, 0 to change, 1 to remove, 12 unchanged");
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                            .until(() -> status(processor, removed) == 404);
                    System.out.printf("GROUP cluster removed (%s): gone from the processor's API %d ms after targets apply%n",
                            removed, System.currentTimeMillis() - removedAt);
                    assertThat(samples.records()).as("each of its nodes' last sample says it is no longer watched")
                            .filteredOn(s -> s.getCluster().equals(removed) && s.getRetired()).hasSize(2);

                    // 5. Nobody left to take over: one COLLECTOR_DOWN per collector, no SAMPLES_STALE storm.
                    final int seen = transitions.records().size();
                    final Map<String, Set<String>> last = pollersByCluster(samples, 3_000);
                    for (final Process p : collectors.values()) {
                        p.destroyForcibly().waitFor();
                    }
                    await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(500)).until(() ->
                            downs(transitions.records().subList(seen, transitions.records().size())).size() == 2);
                    // And no third collector down for 5 s more (the assertions below count them all).
                    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                            .until(() -> downs(transitions.records().subList(seen, transitions.records().size())).size() == 2);
                    final List<HealthTransition> after = transitions.records().subList(seen, transitions.records().size());
                    final Map<String, HealthTransition> downs = downs(after);
                    assertThat(downs.keySet()).containsExactlyInAnyOrderElementsOf(collectors.keySet());
                    for (final var d : downs.entrySet()) {
                        final String message = d.getValue().getReasons().get(0).getMessage();
                        final Set<String> its = new TreeSet<>();
                        last.forEach((c, by) -> {
                            if (by.contains(d.getKey()) && !c.equals(removed)) {
                                its.add(c);
                            }
                        });
                        assertThat(its).isNotEmpty();
                        its.forEach(c -> assertThat(message).contains(c));
                        assertThat(message).as("the removed cluster is nobody's").doesNotContain(removed + ",")
                                .doesNotContain(removed + ":");
                        System.out.printf("GROUP %s%n", message);
                    }
                    assertThat(rules(after)).as("COLLECTOR_DOWN speaks for the nodes: no SAMPLES_STALE")
                            .doesNotContain("SAMPLES_STALE");
                    // The API says the same: both gone and down, their clusters unclaimed.
                    final Map<String, com.fasterxml.jackson.databind.JsonNode> api = collectorsApi(processor);
                    for (final String id : collectors.keySet()) {
                        assertThat(api.get(id)).as("collector %s in the API", id).isNotNull();
                        assertThat(api.get(id).path("alive").asBoolean()).isFalse();
                        assertThat(api.get(id).path("down").asBoolean()).isTrue();
                        assertThat(api.get(id).path("unclaimed")).isNotEmpty();
                    }
                    System.out.printf("GROUP /api/v1/collectors at the end: %s%n", api.values());
                } finally {
                    collectors.values().forEach(Process::destroyForcibly);
                }
            }
        }
    }

    /** Names {@code prefix + i}, one falling in each of the first {@code n} partitions of the targets topic. */
    private static List<String> onePerPartition(final String prefix, final int n) {
        final Map<Integer, String> byPartition = new TreeMap<>();
        for (int i = 0; byPartition.size() < n; i++) {
            final String name = prefix + i;
            final int p = Utils.toPositive(Utils.murmur2(name.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
            if (p < n) {
                byPartition.putIfAbsent(p, name);
            }
        }
        return new ArrayList<>(byPartition.values());
    }

    /** Every cluster watches the sandbox's primary and standby under their own names; the password is named. */
    private static String targets(final List<String> clusters, final PgNode primary, final PgNode standby) {
        final StringBuilder b = new StringBuilder("defaults: {host: 127.0.0.1, user: %s, credential: sandbox-monitor, "
                .formatted(PgNode.MONITOR_USER) + "sslmode: disable}\nclusters:\n");
        for (final String c : clusters) {
            b.append("  - name: ").append(c).append("\n    nodes:\n")
                    .append("      - {name: ").append(primary.name()).append(", port: ").append(primary.port()).append("}\n")
                    .append("      - {name: ").append(standby.name()).append(", port: ").append(standby.port()).append("}\n");
        }
        return b.toString();
    }

    private static Process start(final Path cfg, final Path log) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "io.replwatch.collector.CollectorMain",
                "--config", cfg.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The collectors that sampled each cluster within the last {@code ms} (by arrival). */
    private static Map<String, Set<String>> pollersByCluster(final TopicReader<ReplicationSample> samples, final long ms) {
        final List<ReplicationSample> all = samples.records();
        final List<Long> at = samples.arrivals();
        final long since = System.currentTimeMillis() - ms;
        final Map<String, Set<String>> by = new TreeMap<>();
        for (int i = all.size() - 1; i >= 0 && at.get(i) >= since; i--) {
            if (!all.get(i).getRetired()) {
                by.computeIfAbsent(all.get(i).getCluster(), k -> new HashSet<>()).add(all.get(i).getCollectorId());
            }
        }
        return by;
    }

    /**
     * Sequence gaps: two consecutive samples of a node from one collector whose numbers are not consecutive (a new
     * poller for the node, after a move back, starts again at 1: not a gap).
     */
    private static List<String> gaps(final List<ReplicationSample> all) {
        final Map<String, Long> last = new HashMap<>();
        final List<String> gaps = new ArrayList<>();
        for (final ReplicationSample s : all) {
            final String k = s.getCluster() + "/" + s.getNode() + "@" + s.getCollectorId();
            final Long prev = last.put(k, s.getSequence());
            if (prev != null && s.getSequence() != prev + 1 && s.getSequence() != 1) {
                gaps.add(k + ": " + prev + " -> " + s.getSequence());
            }
        }
        return gaps;
    }

    private static List<String> rules(final List<HealthTransition> ts) {
        return ts.stream().flatMap(t -> t.getReasons().stream()).map(HealthReason::getRule).toList();
    }

    private static Map<String, HealthTransition> downs(final List<HealthTransition> ts) {
        final Map<String, HealthTransition> out = new TreeMap<>();
        for (final HealthTransition t : ts) {
            if (t.getReasons().stream().anyMatch(r -> r.getRule().equals("COLLECTOR_DOWN"))) {
                out.put(t.getNode(), t);
            }
        }
        return out;
    }

    /** GET /api/v1/collectors, by collector id. */
    private static Map<String, com.fasterxml.jackson.databind.JsonNode> collectorsApi(final ProcessorService processor)
            throws Exception {
        final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + processor.httpPort() + "/api/v1/collectors")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET /api/v1/collectors: %s", r.body()).isEqualTo(200);
        final Map<String, com.fasterxml.jackson.databind.JsonNode> out = new TreeMap<>();
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body())
                .forEach(c -> out.put(c.path("collector_id").asText(), c));
        return out;
    }

    private static int status(final ProcessorService processor, final String cluster) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + processor.httpPort()
                + "/api/v1/clusters/" + cluster)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static Cli.Run cli(final String... args) {
        return Cli.run(args);
    }
}
