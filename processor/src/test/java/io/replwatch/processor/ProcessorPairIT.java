package io.replwatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.config.ProcessorConfig;
import io.replwatch.sandbox.Ports;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.SerdeConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two processor instances of one application (child JVMs, {@code num_standby_replicas: 1}) share the scripted fleet
 * of {@link ProcessorCrashIT} over six partitions; one is killed with SIGKILL mid-stream. The other must take its
 * partitions over (from its standby replicas) and finish the input, with the transitions of an uninterrupted
 * single-instance reference run, id for id, none missing and none twice; and the HTTP API of the survivor must
 * answer for every cluster throughout: from its standby replica while the group has not yet noticed the death, from
 * its own active tasks after. The takeover time is measured and printed.
 */
@Tag("chaos")
class ProcessorPairIT {

    private static final int PARTITIONS = 6;
    private static final int CLUSTERS = 60;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void theSurvivorTakesOverFromItsStandbysAndTheApiKeepsAnswering() throws Exception {
        try (Sandbox sb = Sandbox.builder().tempDir("processor-pair-").postgres(false).start()) {
            final String bootstrap = sb.kafka().bootstrapServers();
            final Map<String, Object> serde = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, sb.registry().url());
            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                admin.createTopics(Stream.of(Topics.all()).map(t -> new NewTopic(t, PARTITIONS, (short) 1)).toList())
                        .all().get();
            }
            final List<ReplicationSample> input = ProcessorCrashIT.fleet();
            final int half = input.size() / 2;
            final int portA = Ports.free();
            final int portB = Ports.free();
            final Process a = ProcessorCrashIT.startChild(config(sb, "pair", "a", portA), sb.dir().resolve("a.log"));
            final Process b = ProcessorCrashIT.startChild(config(sb, "pair", "b", portB), sb.dir().resolve("b.log"));
            try {
                ProcessorCrashIT.produce(bootstrap, serde, input.subList(0, half), 0);
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    assertThat(a.isAlive() && b.isAlive()).as("both instances still running").isTrue();
                    return ProcessorCrashIT.committed(bootstrap, "pair") >= half;
                });
                // Both answer for every cluster: their own, and the other's through it.
                for (final int port : List.of(portA, portB)) {
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                            .until(() -> unanswered(port, false).isEmpty());
                }

                final Thread producer = new Thread(() -> ProcessorCrashIT.produce(bootstrap, serde,
                        input.subList(half, input.size()), 4_000));
                producer.start();
                final long killAt = half + (input.size() - half) / 3;
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20))
                        .until(() -> ProcessorCrashIT.committed(bootstrap, "pair") >= killAt);
                final Map<TopicPartition, Long> atKill = committedByPartition(bootstrap);
                a.destroyForcibly();
                final long killed = System.nanoTime();
                assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();

                // Before the group notices (session timeout 6 s), B still sees A as the owner of A's clusters: it
                // answers for them from its standby replicas.
                final List<String> unansweredRightAfter = unanswered(portB, true);
                final int fromReplica = replicaAnswers;
                producer.join();

                // The takeover: every partition that had more input than A had committed moves again.
                final Map<TopicPartition, Long> ends = ProcessorCrashIT.endOffsets(bootstrap, Topics.SAMPLES, PARTITIONS);
                final Map<TopicPartition, Long> movedAt = new HashMap<>();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    final Map<TopicPartition, Long> now = committedByPartition(bootstrap);
                    for (final Map.Entry<TopicPartition, Long> e : atKill.entrySet()) {
                        if (!movedAt.containsKey(e.getKey()) && ends.get(e.getKey()) > e.getValue()
                                && now.getOrDefault(e.getKey(), 0L) > e.getValue()) {
                            movedAt.put(e.getKey(), System.nanoTime());
                        }
                    }
                    return atKill.keySet().stream().allMatch(p -> movedAt.containsKey(p) || ends.get(p) <= atKill.get(p));
                });
                final long takeoverMs = TimeUnit.NANOSECONDS.toMillis(
                        movedAt.values().stream().mapToLong(Long::longValue).max().orElse(killed) - killed);
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                        .until(() -> ProcessorCrashIT.committed(bootstrap, "pair") == input.size());
                final long doneMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                final List<String> unansweredAfter = unanswered(portB, false);
                final Map<TopicPartition, Long> afterPairRun = ProcessorCrashIT.endOffsets(bootstrap, PARTITIONS);

                // The reference: one instance, the same topic from the start, uninterrupted.
                try (ProcessorService reference = new ProcessorService(ProcessorConfig.load(
                        config(sb, "reference", "ref", 0))).start()) {
                    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                            .until(() -> ProcessorCrashIT.committed(bootstrap, "reference") == input.size());
                }
                final List<HealthTransition> pairRun = new ArrayList<>();
                final List<HealthTransition> referenceRun = new ArrayList<>();
                ProcessorCrashIT.splitByRun(bootstrap, serde, afterPairRun, pairRun, referenceRun);
                final Map<String, String> reference = ProcessorCrashIT.byId(referenceRun);
                final Map<String, String> pair = ProcessorCrashIT.byId(pairRun);

                System.out.printf("processor pair: SIGKILL of one instance at %d of %d samples committed; the survivor "
                                + "moved every partition again %d ms later, finished the input %d ms after the kill; "
                                + "API right after the kill: %d of %d clusters answered (%d from a standby replica), "
                                + "after the takeover %d of %d; %d transitions in both runs, 0 missing, 0 duplicated%n",
                        atKill.values().stream().mapToLong(Long::longValue).sum(), input.size(), takeoverMs, doneMs,
                        CLUSTERS - unansweredRightAfter.size(), CLUSTERS, fromReplica, CLUSTERS - unansweredAfter.size(),
                        CLUSTERS, pairRun.size());
                assertThat(unansweredRightAfter).as("clusters the survivor did not answer for right after the kill")
                        .isEmpty();
                assertThat(fromReplica).as("answers from a standby replica while the dead owner was still assigned")
                        .isPositive();
                assertThat(unansweredAfter).as("clusters the survivor did not answer for after the takeover").isEmpty();
                assertThat(takeoverMs).as("takeover: session timeout (6 s) plus the rebalance and restore")
                        .isLessThan(40_000L);
                assertThat(referenceRun).as("the scripted incidents cause transitions").hasSizeGreaterThan(100);
                assertThat(reference).as("no id twice in the reference run").hasSize(referenceRun.size());
                assertThat(pair).as("no transition twice in the pair's run").hasSize(pairRun.size());
                assertThat(pair.keySet()).as("none missing, none extra").isEqualTo(reference.keySet());
                assertThat(pair).as("same content, id for id").isEqualTo(reference);
            } catch (final Throwable t) {
                ProcessorCrashIT.printTail(sb.dir().resolve("a.log"), 120);
                ProcessorCrashIT.printTail(sb.dir().resolve("b.log"), 120);
                throw t;
            } finally {
                a.destroyForcibly();
                b.destroy();
                b.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Answers counted by the last {@link #unanswered} call that came from a standby replica. */
    private int replicaAnswers;

    /** The clusters {@code port}'s API does not answer for (status other than 200, or no nodes). */
    private List<String> unanswered(final int port, final boolean countReplicas) {
        final List<String> missing = new ArrayList<>();
        replicaAnswers = 0;
        for (int c = 0; c < CLUSTERS; c++) {
            try {
                final HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/v1/clusters/c" + c)).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString());
                final JsonNode body = r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
                if (body == null || !body.path("nodes").isArray() || body.path("nodes").isEmpty()) {
                    missing.add("c" + c + " (" + r.statusCode() + ": " + r.body() + ")");
                } else if (countReplicas && body.has("served_from")) {
                    replicaAnswers++;
                }
            } catch (final Exception e) {
                missing.add("c" + c + " (" + e + ")");
            }
        }
        return missing;
    }

    private static Path config(final Sandbox sb, final String app, final String instance, final int port) throws Exception {
        final Path f = sb.dir().resolve(app + "-" + instance + ".yaml");
        Files.writeString(f, """
                application_id: %s
                http_port: %d
                state_dir: %s
                partitions: %d
                num_stream_threads: 1
                num_standby_replicas: 1
                kafka: {bootstrap.servers: "%s", session.timeout.ms: "6000", heartbeat.interval.ms: "2000"}
                schema_registry: {url: "%s"}
                stale_min: 1h
                """.formatted(app, port, sb.dir().resolve("state-" + instance), PARTITIONS,
                sb.kafka().bootstrapServers(), sb.registry().url()));
        return f;
    }

    private static Map<TopicPartition, Long> committedByPartition(final String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            final Map<TopicPartition, Long> out = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                out.put(new TopicPartition(Topics.SAMPLES, p), 0L);
            }
            final Map<TopicPartition, OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets("pair").partitionsToOffsetAndMetadata().get();
            offsets.forEach((tp, o) -> {
                if (tp.topic().equals(Topics.SAMPLES) && o != null) {
                    out.put(tp, o.offset());
                }
            });
            return out;
        }
    }
}
