package io.replwatch.serde;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes the registry client for a serde configuration: the in-memory {@link MockSchemaRegistry} for
 * {@code mock://scope}, otherwise a cached REST client. Serdes configured with the same settings share one
 * client (and so one cache), as Kafka Streams creates many serde instances.
 */
public final class SchemaRegistryClients {

    private static final Map<Map<String, String>, SchemaRegistryClient> SHARED = new ConcurrentHashMap<>();

    private SchemaRegistryClients() {
    }

    public static SchemaRegistryClient forConfig(final Map<String, ?> props) {
        final SerdeConfig config = new SerdeConfig(props);
        if (config.isMock()) {
            return new CachedSchemaRegistryClient(MockSchemaRegistry.scope(config.mockScope()));
        }
        // Only the client's own keys decide sharing: Streams passes large maps with identity-equal values.
        final Map<String, String> key = new TreeMap<>();
        props.forEach((k, v) -> {
            if (v != null && (k.startsWith("schema.registry.") || k.startsWith("basic.auth."))) {
                key.put(k, v.toString());
            }
        });
        return SHARED.computeIfAbsent(key, p -> new CachedSchemaRegistryClient(new RestSchemaRegistryClient(config)));
    }
}
