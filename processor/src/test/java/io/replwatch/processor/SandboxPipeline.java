package io.replwatch.processor;

import static org.awaitility.Awaitility.await;

import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthTransition;
import io.replwatch.collector.CollectorService;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.processor.config.ProcessorConfig;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.TopicReader;
import io.replwatch.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * The real pipeline on a sandbox, for the processor's ITs: a collector polling every node every 500 ms and a
 * processor, both on the sandbox's Kafka and registry, and the health transitions read back as they come.
 */
final class SandboxPipeline implements AutoCloseable {

    final Sandbox sandbox;
    final ProcessorConfig config;
    ProcessorService processor;
    final CollectorService collector;
    final TopicReader<HealthTransition> reader;
    final List<HealthTransition> transitions;

    /**
     * @param processorExtra YAML lines appended to the processor's configuration (rules, windows)
     * @param collectorExtra YAML lines appended to the collector's top level (settings_refresh ...)
     */
    SandboxPipeline(final Sandbox sandbox, final String appId, final String processorExtra, final String collectorExtra)
            throws Exception {
        this(sandbox, appId, processorExtra, collectorExtra, "");
    }

    /** @param extraClusters YAML list items appended to the collector's clusters (another cluster's nodes) */
    SandboxPipeline(final Sandbox sandbox, final String appId, final String processorExtra, final String collectorExtra,
                    final String extraClusters) throws Exception {
        this.sandbox = sandbox;
        final StringBuilder nodes = new StringBuilder();
        for (final PgNode n : sandbox.postgres().nodes()) {
            nodes.append("      - {name: ").append(n.name()).append(", port: ").append(n.port()).append("}\n");
        }
        final String kafka = sandbox.kafka().bootstrapServers();
        final String registry = sandbox.registry().url();
        config = ProcessorConfig.parse("""
                application_id: %s
                http_port: 0
                advertised_url: http://127.0.0.1:0
                state_dir: %s
                partitions: 3
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                """.formatted(appId, sandbox.dir().resolve("streams-" + appId), kafka, registry) + processorExtra,
                k -> null);
        processor = new ProcessorService(config).start();
        processor.awaitRunning(Duration.ofSeconds(60));
        collector = new CollectorService(CollectorConfig.parse("""
                collector_id: %s
                poll_interval: 500ms
                http_port: -1
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                defaults: {host: 127.0.0.1, user: monitor, password: monitor}
                %s
                clusters:
                  - name: sandbox
                    nodes:
                %s%s""".formatted(appId, kafka, registry, collectorExtra, nodes, extraClusters), k -> null)).start();
        reader = TopicReader.follow(kafka, registry, Topics.HEALTH_TRANSITIONS, HealthTransition.class);
        transitions = reader.records();
    }

    /** The first transition of {@code node} after index {@code after} that passes {@code test}, within the time. */
    HealthTransition awaitTransition(final String node, final int after, final Duration within,
                                     final Predicate<HealthTransition> test) {
        final HealthTransition[] found = new HealthTransition[1];
        await().atMost(within).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (int i = after; i < transitions.size(); i++) {
                final HealthTransition t = transitions.get(i);
                if (t.getNode().equals(node) && test.test(t)) {
                    found[0] = t;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** The transitions of {@code node} from index {@code from} on. */
    List<HealthTransition> of(final String node, final int from) {
        return transitions.subList(from, transitions.size()).stream().filter(t -> t.getNode().equals(node)).toList();
    }

    static List<String> rules(final HealthTransition t) {
        return t.getReasons().stream().map(HealthReason::getRule).toList();
    }

    static String reason(final HealthTransition t, final String rule) {
        return t.getReasons().stream().filter(r -> r.getRule().equals(rule)).map(HealthReason::getMessage).findFirst()
                .orElse(null);
    }

    @Override
    public void close() throws InterruptedException {
        reader.close();
        collector.close();
        if (processor != null) {
            processor.close();
        }
    }

    /** Stops a test's pipeline, then its sandbox; either may be null (a start that failed half way). */
    static void closeAll(final SandboxPipeline pipe, final Sandbox sandbox) throws InterruptedException {
        if (pipe != null) {
            pipe.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }
}
