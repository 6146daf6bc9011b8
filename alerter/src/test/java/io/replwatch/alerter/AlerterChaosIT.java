package io.replwatch.alerter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chaos, alerter (RELIABILITY.md): receivers that fail for a minute or for ever inside the running alerter, and
 * the alerter itself killed with SIGKILL while a group waits. Counted at the receivers by idempotency key.
 */
@Tag("chaos")
class AlerterChaosIT {

    private static Sandbox sandbox;
    private static String bootstrap;
    private static String registry;

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.builder().tempDir("alerter-chaos-").postgres(false).start();
        bootstrap = sandbox.kafka().bootstrapServers();
        registry = sandbox.registry().url();
        try (Admin a = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            a.createTopics(List.of(new NewTopic(Topics.HEALTH_TRANSITIONS, 3, (short) 1),
                    new NewTopic(Topics.DEAD_LETTER, 1, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void down() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private static void produce(final String prefix, final int n) {
        final AvroSerializer<HealthTransition> ser = new AvroSerializer<>();
        ser.configure(Map.of("schema.registry.url", registry), false);
        try (KafkaProducer<String, HealthTransition> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), ser)) {
            for (int i = 0; i < n; i++) {
                final HealthTransition t = Fixtures.transition(prefix + i, prefix + "c" + i, "n" + i, HealthState.HEALTHY,
                        HealthState.CRITICAL, List.of("LAG_TIME"), List.of());
                p.send(new ProducerRecord<>(Topics.HEALTH_TRANSITIONS, t.getCluster(), t));
            }
        }
    }

    @Test
    void aReceiverDownForAMinuteGetsEverythingAfterAndOneThatNeverRecoversIsDeadLettered() throws Exception {
        final long start = System.nanoTime();
        try (LocalHttpServer healthy = new LocalHttpServer();
             LocalHttpServer flaky = new LocalHttpServer().script(n ->
                     System.nanoTime() - start < TimeUnit.SECONDS.toNanos(60) ? LocalHttpServer.Answer.status(503)
                             : LocalHttpServer.Answer.ok());
             LocalHttpServer dead = new LocalHttpServer().script(n -> LocalHttpServer.Answer.status(503))) {
            final AlerterConfig cfg = AlerterConfig.parse("""
                    group_id: chaos-receivers
                    http_port: 0
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    route:
                      receiver: healthy
                      group_by: [cluster, node]
                      group_wait: 0s
                      routes:
                        - {matchers: ['rule=~".*"'], receiver: flaky, continue: true}
                        - {matchers: ['rule=~".*"'], receiver: dead, continue: true}
                        - {matchers: ['rule=~".*"'], receiver: healthy}
                    receivers:
                      - {name: healthy, type: webhook, url: "%s"}
                      - {name: flaky, type: webhook, url: "%s", initial_backoff: 1s, max_backoff: 10s, max_age: 10m, max_attempts: 100}
                      - {name: dead, type: webhook, url: "%s", initial_backoff: 1s, max_backoff: 5s, max_age: 40s, max_attempts: 100}
                    """.formatted(bootstrap, registry, healthy.uri("/h"), flaky.uri("/f"), dead.uri("/d")), k -> null);
            final AlerterService alerter = new AlerterService(cfg).start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(alerter::assigned);
                produce("r-", 20);
                // The topic is shared with the other test: count this test's transitions ("r-") only.
                await().atMost(Duration.ofSeconds(15)).until(() -> keys(healthy, "r-").size() == 20);
                final double healthySeconds = (System.nanoTime() - start) / 1e9;
                assertThat(flaky.delivered()).as("the flaky receiver is still failing").isEmpty();
                await().atMost(Duration.ofSeconds(120)).until(() -> keys(flaky, "r-").size() >= 20);
                final double flakySeconds = (System.nanoTime() - start) / 1e9;
                final List<DeadLetter> dls = deadLetters(20);
                System.out.printf("CHAOS receivers: healthy got 20/20 by %.1f s; flaky (503 for 60 s) got %d by %.1f s after %d attempts;"
                                + " dead: %d dead letters after %d attempts%n", healthySeconds, keys(flaky, "r-").size(),
                        flakySeconds, flaky.attempts(), dls.size(), dead.attempts());
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> keys(flaky, "r-").size() == 20);
                assertThat(keys(flaky, "r-")).as("each notification once").hasSize(20).doesNotHaveDuplicates();
                assertThat(dls).hasSize(20).allSatisfy(d -> {
                    assertThat(d.getReceiver()).isEqualTo("dead");
                    assertThat(d.getLastStatus()).isEqualTo(503);
                    assertThat(d.getReason()).contains("gave up");
                });
                assertThat(dead.delivered()).isEmpty();
                // Everything settled: all 20 records committed.
                await().atMost(Duration.ofSeconds(20)).until(() -> alerter.pendingRecords() == 0);
            } finally {
                alerter.close();
            }
        }
    }

    @Test
    void alerterKilledWhileAGroupWaitsLosesNothing(@TempDir final Path tmp) throws Exception {
        try (LocalHttpServer hook = new LocalHttpServer()) {
            final Path cfg = tmp.resolve("alerter.yaml");
            Files.writeString(cfg, """
                    group_id: chaos-kill
                    http_port: 0
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    route: {receiver: hook, group_by: [cluster], group_wait: 20s}
                    receivers:
                      - {name: hook, type: webhook, url: "%s"}
                    """.formatted(bootstrap, registry, hook.uri("/k")));
            final Process first = child(cfg, tmp.resolve("first.log"));
            Process second = null;
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(tmp.resolve("first.log")).contains("API and metrics"));
                produce("k-", 10);
                // The child has consumed all ten (its /health counts them as pending) while the groups wait 20 s.
                final java.util.regex.Matcher port = java.util.regex.Pattern.compile("API and metrics on :(\\d+)")
                        .matcher(Files.readString(tmp.resolve("first.log")));
                assertThat(port.find()).isTrue();
                final java.net.URI health = java.net.URI.create("http://127.0.0.1:" + port.group(1) + "/health");
                final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                await().atMost(Duration.ofSeconds(15)).until(() -> http.send(java.net.http.HttpRequest.newBuilder(health)
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body()
                        .contains("\"pending_records\":10"));
                assertThat(keys(hook, "k-")).isEmpty();
                first.destroyForcibly();
                assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
                second = child(cfg, tmp.resolve("second.log"));
                await().atMost(Duration.ofSeconds(90)).until(() -> keys(hook, "k-").size() >= 10);
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> keys(hook, "k-").size() >= 10);
                final List<String> keys = keys(hook, "k-");
                System.out.printf("CHAOS alerter SIGKILL during group_wait: %d of 10 notifications delivered after the restart, %d distinct keys%n",
                        keys.size(), keys.stream().distinct().count());
                assertThat(keys.stream().distinct().sorted().toList())
                        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 10).mapToObj(i -> "k-" + i).sorted().toList());
                // A duplicate may only ever repeat an idempotency key (none expected here: nothing was sent before the kill).
                assertThat(keys).hasSize(10);
            } finally {
                first.destroyForcibly();
                if (second != null) {
                    second.destroy();
                    second.waitFor(20, TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * The crash forced into the one window where a duplicate is possible: the receiver answered 2xx, the group's
     * state is not written yet (failpoint {@code alerter.after-delivery} halts the child there, as SIGKILL would).
     * After the restart everything is delivered; what the receiver saw before the crash comes again, under the
     * same idempotency key, and nothing is lost.
     */
    @Test
    void alerterKilledBetweenA2xxAndItsStateWriteRepeatsOnlyUnderTheSameKey(@TempDir final Path tmp) throws Exception {
        try (LocalHttpServer hook = new LocalHttpServer()) {
            final Path cfg = tmp.resolve("alerter.yaml");
            Files.writeString(cfg, """
                    group_id: chaos-window
                    http_port: 0
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    route: {receiver: hook, group_by: [cluster], group_wait: 0s}
                    receivers:
                      - {name: hook, type: webhook, url: "%s"}
                    """.formatted(bootstrap, registry, hook.uri("/w")));
            // Other tests of this class leave transitions in the topic: the group starts after them, so that the
            // first delivery (where the failpoint fires) is one of these five.
            startGroupAtTheEnd("chaos-window");
            produce("w-", 5);
            final ProcessBuilder armed = childBuilder(cfg, tmp.resolve("first.log"));
            armed.environment().put(io.replwatch.runtime.fault.Failpoints.ENV, io.replwatch.runtime.fault.Failpoints.ALERTER_AFTER_DELIVERY);
            final Process first = armed.start();
            Process second = null;
            try {
                assertThat(first.waitFor(90, TimeUnit.SECONDS)).as("the failpoint halted the child").isTrue();
                assertThat(first.exitValue()).isEqualTo(137);
                assertThat(Files.readString(tmp.resolve("first.log"))).contains("failpoint alerter.after-delivery");
                final List<String> beforeCrash = keys(hook, "w-");
                assertThat(beforeCrash).as("delivered before the crash").isNotEmpty();
                second = child(cfg, tmp.resolve("second.log"));
                await().atMost(Duration.ofSeconds(90)).until(() -> keys(hook, "w-").stream().distinct().count() == 5);
                // Let a late redelivery, if any, arrive before counting.
                final int settled = keys(hook, "w-").size();
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                        .until(() -> keys(hook, "w-").size() == settled);
                final List<String> all = keys(hook, "w-");
                final List<String> afterCrash = all.subList(beforeCrash.size(), all.size());
                System.out.printf("CHAOS alerter killed between 2xx and state write: %d delivered before, %d after; "
                        + "%d distinct keys of 5; repeated: %s%n", beforeCrash.size(), afterCrash.size(),
                        all.stream().distinct().count(), afterCrash.stream().filter(beforeCrash::contains).toList());
                assertThat(all.stream().distinct().sorted().toList())
                        .containsExactly("w-0", "w-1", "w-2", "w-3", "w-4");
                // Whatever the receiver had acknowledged came again, under its own key (its state was never
                // written); the others exactly once.
                assertThat(afterCrash).containsAll(beforeCrash);
                assertThat(afterCrash).doesNotHaveDuplicates();
                assertThat(beforeCrash).doesNotHaveDuplicates();
            } finally {
                first.destroyForcibly();
                if (second != null) {
                    second.destroy();
                    second.waitFor(20, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** Commits the group's offsets at the current end of the transitions topic. */
    private static void startGroupAtTheEnd(final String group) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            final var partitions = admin.describeTopics(List.of(Topics.HEALTH_TRANSITIONS)).allTopicNames().get()
                    .get(Topics.HEALTH_TRANSITIONS).partitions();
            final Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest =
                    new java.util.HashMap<>();
            partitions.forEach(pi -> latest.put(new org.apache.kafka.common.TopicPartition(Topics.HEALTH_TRANSITIONS,
                    pi.partition()), org.apache.kafka.clients.admin.OffsetSpec.latest()));
            final Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> at =
                    new java.util.HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) ->
                    at.put(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(info.offset())));
            admin.alterConsumerGroupOffsets(group, at).all().get();
        }
    }

    private static ProcessBuilder childBuilder(final Path cfg, final Path log) {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.replwatch.alerter.AlerterMain", "--config", cfg.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
    }

    private static Process child(final Path cfg, final Path log) throws Exception {
        return childBuilder(cfg, log).start();
    }

    private static List<String> keys(final LocalHttpServer s, final String prefix) {
        return s.delivered().stream().map(r -> r.header("Idempotency-Key")).filter(k -> k.startsWith(prefix))
                .collect(Collectors.toList());
    }

    private static List<DeadLetter> deadLetters(final int n) {
        return DeadLetters.read(bootstrap, registry, n, d -> "dead".equals(d.getReceiver())
                && d.getHeaders().getOrDefault("Idempotency-Key", "").startsWith("r-"), Duration.ofSeconds(90));
    }
}
