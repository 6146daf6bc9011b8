package io.replwatch.alerter.bench;

import io.replwatch.alerter.AlerterService;
import io.replwatch.alerter.LocalHttpServer;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerializer;
import io.replwatch.serde.AvroTrust;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The alerter benchmark, on the sandbox's real broker and registry with real local HTTP receivers:
 * <ol>
 * <li>latency: transitions produced at a steady rate; time from the producer's send to the webhook receiving the
 * notification (an upper bound of "consumed to received": it includes produce and fetch), group_wait 0;</li>
 * <li>throughput: a burst of transitions, each its own group, notifications/s to one 200 receiver; once alone,
 * once beside a second receiver answering 503 to every request.</li>
 * </ol>
 * Run: {@code mvn -B -q -pl alerter test-compile exec:exec@bench}
 */
public final class AlerterBenchmark {

    private AlerterBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        AvroTrust.init();
        final int rate = Integer.getInteger("bench.rate", 200);
        final int seconds = Integer.getInteger("bench.seconds", 30);
        final int burst = Integer.getInteger("bench.burst", 20_000);
        try (Sandbox sandbox = Sandbox.builder().tempDir("alerter-bench-").postgres(false).start()) {
            final String bootstrap = sandbox.kafka().bootstrapServers();
            final String registry = sandbox.registry().url();
            try (Admin a = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                a.createTopics(List.of(new NewTopic(Topics.HEALTH_TRANSITIONS, 6, (short) 1))).all().get();
            }
            System.out.printf("machine: %d cores, java %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"));
            latency(bootstrap, registry, rate, seconds);
            throughput(bootstrap, registry, burst, false);
            throughput(bootstrap, registry, burst, true);
        }
    }

    private static AlerterService alerter(final String bootstrap, final String registry, final String group,
                                          final LocalHttpServer ok, final LocalHttpServer failing) throws Exception {
        final String second = failing == null ? "" : "  - {name: failing, type: webhook, url: \"" + failing.uri("/hook")
                + "\", initial_backoff: 1s, max_backoff: 5s, max_attempts: 1000}\n";
        final String routes = failing == null ? "" : "  routes: [{matchers: ['rule=~\".*\"'], receiver: failing, continue: true},"
                + " {matchers: ['rule=~\".*\"'], receiver: ok}]\n";
        final AlerterConfig cfg = AlerterConfig.parse("""
                group_id: %s
                http_port: 0
                kafka: {bootstrap.servers: "%s", auto.offset.reset: latest}
                schema_registry: {url: "%s"}
                route:
                  receiver: ok
                  group_by: [cluster, node, rule]
                  group_wait: 0s
                %sreceivers:
                  - {name: ok, type: webhook, url: "%s", concurrency: 8}
                %s""".formatted(group, bootstrap, registry, routes, ok.uri("/hook"), second), k -> null);
        final AlerterService s = new AlerterService(cfg).start();
        final long deadline = System.currentTimeMillis() + 60_000;
        while (!s.assigned() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(1000);
        return s;
    }

    private static KafkaProducer<String, HealthTransition> producer(final String bootstrap, final String registry) {
        final AvroSerializer<HealthTransition> ser = new AvroSerializer<>();
        ser.configure(Map.of("schema.registry.url", registry), false);
        return new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "linger.ms", 0), new StringSerializer(), ser);
    }

    private static HealthTransition transition(final String id, final int n) {
        final String cluster = "c" + (n % 2000);
        final String node = "n" + n;
        return HealthTransition.newBuilder().setId(id).setCluster(cluster).setNode(node)
                .setFromState(HealthState.HEALTHY).setToState(HealthState.WARNING).setAt(Instant.now())
                .setReasons(List.of(HealthReason.newBuilder().setRule("LAG_TIME").setSeverity(HealthState.WARNING)
                        .setMessage("time lag 75 s over 60 s").setValue(75_000d).setThreshold(60_000d).setUnit("ms")
                        .build()))
                .setRole("STANDBY").build();
    }

    private static void latency(final String bootstrap, final String registry, final int rate, final int seconds)
            throws Exception {
        try (LocalHttpServer ok = new LocalHttpServer()) {
            final AlerterService s = alerter(bootstrap, registry, "bench-latency", ok, null);
            final Map<String, Long> sentAt = new java.util.concurrent.ConcurrentHashMap<>();
            final int total = rate * seconds;
            try (KafkaProducer<String, HealthTransition> p = producer(bootstrap, registry)) {
                final long start = System.nanoTime();
                for (int i = 0; i < total; i++) {
                    final long due = start + (long) i * 1_000_000_000L / rate;
                    while (System.nanoTime() < due) {
                        Thread.onSpinWait();
                    }
                    final String id = "lat-" + i;
                    final HealthTransition t = transition(id, i);
                    sentAt.put(id, System.nanoTime());
                    p.send(new ProducerRecord<>(Topics.HEALTH_TRANSITIONS, t.getCluster(), t));
                }
            }
            final long deadline = System.currentTimeMillis() + 60_000;
            while (ok.delivered().size() < total && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            final List<Long> lat = new ArrayList<>();
            final List<Long> steady = new ArrayList<>();
            final int warmup = rate * 5;
            for (final LocalHttpServer.Request r : ok.delivered()) {
                final String id = r.header("Idempotency-Key");
                final Long t0 = sentAt.get(id);
                if (t0 != null) {
                    lat.add(r.receivedNanos() - t0);
                    if (Integer.parseInt(id.substring(4)) >= warmup) {
                        steady.add(r.receivedNanos() - t0);
                    }
                }
            }
            Collections.sort(lat);
            Collections.sort(steady);
            System.out.printf("latency: %d transitions at %d/s, %d delivered; produce->webhook p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    total, rate, lat.size(), pct(lat, 0.50), pct(lat, 0.99), pct(lat, 1.0));
            System.out.printf("latency after the first 5 s (JIT warm-up): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    pct(steady, 0.50), pct(steady, 0.99), pct(steady, 1.0));
            s.close();
        }
    }

    private static void throughput(final String bootstrap, final String registry, final int burst,
                                   final boolean withFailing) throws Exception {
        try (LocalHttpServer ok = new LocalHttpServer();
             LocalHttpServer failing = new LocalHttpServer().script(n -> LocalHttpServer.Answer.status(503))) {
            final AlerterService s = alerter(bootstrap, registry, "bench-burst-" + withFailing, ok,
                    withFailing ? failing : null);
            try (KafkaProducer<String, HealthTransition> p = producer(bootstrap, registry)) {
                for (int i = 0; i < burst; i++) {
                    final HealthTransition t = transition("burst-" + withFailing + "-" + i, i);
                    p.send(new ProducerRecord<>(Topics.HEALTH_TRANSITIONS, t.getCluster(), t));
                }
            }
            final long deadline = System.currentTimeMillis() + 300_000;
            while (ok.delivered().isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            final long first = ok.delivered().get(0).receivedNanos();
            while (ok.delivered().size() < burst && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            final int got = ok.delivered().size();
            final long last = ok.delivered().get(got - 1).receivedNanos();
            final double perSec = (got - 1) / ((last - first) / 1e9);
            System.out.printf("throughput%s: %d notifications to the 200 receiver in %.2f s = %.0f/s%s%n",
                    withFailing ? " beside a 503 receiver" : " (one receiver)", got, (last - first) / 1e9, perSec,
                    withFailing ? String.format("; the 503 receiver got %d attempts, delivered %d", failing.attempts(),
                            failing.delivered().size()) : "");
            s.close();
        }
    }

    private static double pct(final List<Long> sorted, final double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        final int i = (int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1);
        return TimeUnit.NANOSECONDS.toMicros(sorted.get(Math.max(0, i))) / 1000.0;
    }
}
