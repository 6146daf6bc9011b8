package io.replwatch.cli;

import io.replwatch.sandbox.SandboxState;
import io.replwatch.serde.SerdeConfig;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * Where a command-line tool finds Kafka and the registry: the options, then {@code $REPLWATCH_BOOTSTRAP} and
 * {@code $REPLWATCH_REGISTRY}, then the running sandbox, then localhost; plus client properties for a secured cluster.
 */
final class KafkaOptions {

    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default: $REPLWATCH_BOOTSTRAP, else the"
            + " running sandbox's, else localhost:9092).")
    String bootstrap;

    @Option(names = "--registry", description = "Schema registry URL (default: $REPLWATCH_REGISTRY, else the running"
            + " sandbox's, else http://localhost:8081).")
    String registry;

    @Option(names = "--client-config", paramLabel = "FILE", description = "Kafka client properties (security.protocol, "
            + "sasl.*, ssl.*) and serde properties (basic.auth.user.info, schema.registry.ssl.*), as for Kafka's own "
            + "--command-config: to reach a secured cluster. Its values are never printed.")
    Path clientConfig;

    @Option(names = "--sandbox-dir", defaultValue = ".replwatch/sandbox", hidden = true)
    Path sandboxDir;

    /** The resolved settings: Kafka client properties and serde properties (the client's, plus the registry URL). */
    record Resolved(Map<String, String> kafka, Map<String, String> serde) {
    }

    /** Resolves; prints why and returns null when --client-config cannot be read. */
    Resolved resolve(final PrintWriter err) {
        final SandboxState sandbox = SandboxState.read(sandboxDir);
        final String servers = firstOf(bootstrap, System.getenv("REPLWATCH_BOOTSTRAP"),
                sandbox.raw().path("kafka").path("bootstrap_servers").asText(null), "localhost:9092");
        final String url = firstOf(registry, System.getenv("REPLWATCH_REGISTRY"),
                sandbox.raw().path("registry").path("url").asText(null), "http://localhost:8081");
        final Properties client = new Properties();
        if (clientConfig != null) {
            try (java.io.Reader in = java.nio.file.Files.newBufferedReader(clientConfig, StandardCharsets.UTF_8)) {
                client.load(in);
            } catch (final java.io.IOException | IllegalArgumentException e) {
                err.println("error: cannot read --client-config " + clientConfig + ": " + e.getClass().getSimpleName());
                return null;
            }
        }
        final Map<String, String> kafka = new HashMap<>();
        client.stringPropertyNames().forEach(k -> kafka.put(k, client.getProperty(k)));
        final Map<String, String> serde = new HashMap<>(kafka);
        serde.put(SerdeConfig.SCHEMA_REGISTRY_URL, url);
        kafka.put("bootstrap.servers", servers);
        return new Resolved(kafka, serde);
    }

    static String firstOf(final String... values) {
        for (final String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
