package io.replwatch.processor.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.avro.CollectorStatus;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.NodeHealth;
import io.replwatch.runtime.ops.OpsServer;
import io.replwatch.processor.health.Severity;
import io.replwatch.processor.topology.Names;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.AvroJson;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Read-only health API over the node-health store, answering across processor instances:
 * {@code GET /api/v1/clusters}, {@code /api/v1/clusters/{cluster}}, {@code /api/v1/clusters/{cluster}/nodes/{node}},
 * {@code /api/v1/clusters/{cluster}/failover-check}, and {@code /api/v1/collectors} (every collector the processor has
 * heard from: alive or gone, its clusters, the ones nobody took over).
 * A cluster lives in the instance that owns its partition (the store is keyed within the partition of the
 * cluster name); other instances forward to it. {@code /api/v1/local/...} answers from this instance only.
 */
public final class HealthApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaStreams streams;
    private final OpsServer server;
    private final URI self;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AvroDeserializer<CollectorStatus> statuses;

    /** @param statuses reads the collector-status store's records (null: no collectors route) */
    public HealthApi(final KafkaStreams streams, final OpsServer server, final URI self,
                     final AvroDeserializer<CollectorStatus> statuses) {
        this.streams = streams;
        this.server = server;
        this.self = self;
        this.statuses = statuses;
    }

    public void register() {
        server.route("/api/v1/local/clusters", path -> localClusters());
        server.route("/api/v1/clusters", this::route);
        if (statuses != null) {
            server.route("/api/v1/collectors", path -> path.equals("/api/v1/collectors") ? collectors() : null);
        }
    }

    /**
     * The collectors, from the global collector-status store every instance keeps whole (so any instance answers for
     * all of them): an empty list when no collector sends heartbeats (static target files without a group).
     */
    private ArrayNode collectors() {
        final ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                Names.COLLECTOR_STATUS_STORE, QueryableStoreTypes.<String, byte[]>keyValueStore()));
        final Map<String, JsonNode> byId = new TreeMap<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, byte[]> kv = it.next();
                try {
                    byId.put(kv.key, AvroJson.toJson(statuses.deserialize(Topics.COLLECTOR_STATUS, kv.value),
                            AvroJson.Style.HUMAN));
                } catch (final RuntimeException e) {
                    final ObjectNode bad = JSON.createObjectNode();
                    bad.put("collector_id", kv.key);
                    bad.put("error", "status record unreadable: " + e.getMessage());
                    byId.put(kv.key, bad);
                }
            }
        }
        final ArrayNode out = JSON.createArrayNode();
        byId.values().forEach(out::add);
        return out;
    }

    private Object route(final String path) {
        final String rest = path.substring("/api/v1/clusters".length());
        if (rest.isEmpty() || rest.equals("/")) {
            return allClusters();
        }
        final String[] parts = rest.substring(1).split("/");
        final String cluster = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
        final KeyQueryMetadata meta = streams.queryMetadataForKey(Names.NODE_HEALTH_STORE, cluster,
                Serdes.String().serializer());
        boolean fromReplica = false;
        if (meta != null && meta.activeHost() != null && meta.activeHost().port() > 0 && !isSelf(meta.activeHost())) {
            final JsonNode answer = fetch("http://" + meta.activeHost().host() + ":" + meta.activeHost().port() + path);
            if (answer == null || !answer.has("error") || meta.standbyHosts().stream().noneMatch(this::isSelf)) {
                return answer;
            }
            // The owner does not answer (killed, and the group has not noticed yet): this instance keeps a standby
            // replica of the cluster's partition, as fresh as the changelog it follows, so it answers from that.
            fromReplica = true;
        }
        final ObjectNode c = clusterNode(cluster, fromReplica ? meta.partition() : null);
        if (c == null) {
            return null;
        }
        if (fromReplica) {
            c.put("served_from", "standby replica: the owning instance " + meta.activeHost().host() + ":"
                    + meta.activeHost().port() + " did not answer");
        }
        if (parts.length == 1) {
            return c;
        }
        if (parts.length == 2 && parts[1].equals("failover-check")) {
            return failoverCheck(cluster, fromReplica ? meta.partition() : null);
        }
        if (parts.length == 3 && parts[1].equals("nodes")) {
            final String node = URLDecoder.decode(parts[2], StandardCharsets.UTF_8);
            for (final JsonNode n : c.get("nodes")) {
                if (n.path("node").asText().equals(node)) {
                    return n;
                }
            }
        }
        return null;
    }

    private boolean isSelf(final org.apache.kafka.streams.state.HostInfo h) {
        return h.host().equals(self.getHost()) && h.port() == self.getPort();
    }

    private ReadOnlyKeyValueStore<String, NodeHealth> store() {
        return streams.store(StoreQueryParameters.fromNameAndType(Names.NODE_HEALTH_STORE,
                QueryableStoreTypes.keyValueStore()));
    }

    /** The store of one partition, a standby replica's included (stale stores enabled). */
    private ReadOnlyKeyValueStore<String, NodeHealth> replica(final int partition) {
        return streams.store(StoreQueryParameters.fromNameAndType(Names.NODE_HEALTH_STORE,
                QueryableStoreTypes.<String, NodeHealth>keyValueStore()).enableStaleStores().withPartition(partition));
    }

    /** @param replicaPartition null: this instance's active stores; else that partition's copy, a standby's too */
    private ObjectNode clusterNode(final String cluster, final Integer replicaPartition) {
        final ArrayNode nodes = JSON.createArrayNode();
        HealthState worst = HealthState.HEALTHY;
        final ReadOnlyKeyValueStore<String, NodeHealth> store = replicaPartition == null ? store() : replica(replicaPartition);
        try (KeyValueIterator<String, NodeHealth> it = store.prefixScan(cluster + "/", Serdes.String().serializer())) {
            while (it.hasNext()) {
                final KeyValue<String, NodeHealth> kv = it.next();
                nodes.add(AvroJson.toJson(kv.value, AvroJson.Style.HUMAN));
                worst = Severity.worst(worst, kv.value.getState());
            }
        }
        if (nodes.isEmpty()) {
            return null;
        }
        final ObjectNode c = JSON.createObjectNode();
        c.put("cluster", cluster);
        c.put("state", worst.name());
        c.set("nodes", nodes);
        return c;
    }

    /**
     * Which standby to promote, from the primary's latest record (the one computed last, when a failover left two):
     * the ranking, the pick and why, and what each standby would lose. Null (404) when no primary was seen.
     */
    private ObjectNode failoverCheck(final String cluster, final Integer replicaPartition) {
        NodeHealth best = null;
        final ReadOnlyKeyValueStore<String, NodeHealth> store = replicaPartition == null ? store() : replica(replicaPartition);
        try (KeyValueIterator<String, NodeHealth> it = store.prefixScan(cluster + "/", Serdes.String().serializer())) {
            while (it.hasNext()) {
                final NodeHealth h = it.next().value;
                if (h.getFailover() != null && (best == null
                        || h.getFailover().getComputedAt().isAfter(best.getFailover().getComputedAt()))) {
                    best = h;
                }
            }
        }
        if (best == null) {
            return null;
        }
        final ObjectNode o = JSON.createObjectNode();
        o.put("cluster", cluster);
        o.put("primary_state", best.getState().name());
        o.setAll((ObjectNode) AvroJson.toJson(best.getFailover(), AvroJson.Style.HUMAN));
        return o;
    }

    private ArrayNode localClusters() {
        final Map<String, ObjectNode> byCluster = new TreeMap<>();
        try (KeyValueIterator<String, NodeHealth> it = store().all()) {
            while (it.hasNext()) {
                final NodeHealth h = it.next().value;
                final ObjectNode c = byCluster.computeIfAbsent(h.getCluster(), k -> {
                    final ObjectNode o = JSON.createObjectNode();
                    o.put("cluster", k);
                    o.put("state", HealthState.HEALTHY.name());
                    o.set("nodes", JSON.createObjectNode());
                    return o;
                });
                ((ObjectNode) c.get("nodes")).put(h.getNode(), h.getState().name());
                c.put("state", Severity.worst(HealthState.valueOf(c.get("state").asText()), h.getState()).name());
            }
        }
        final ArrayNode out = JSON.createArrayNode();
        byCluster.values().forEach(out::add);
        return out;
    }

    private ArrayNode allClusters() {
        final ArrayNode out = localClusters();
        for (final StreamsMetadata m : streams.streamsMetadataForStore(Names.NODE_HEALTH_STORE)) {
            if (m.hostInfo().host().equals(self.getHost()) && m.hostInfo().port() == self.getPort()) {
                continue;
            }
            final JsonNode remote = fetch("http://" + m.hostInfo().host() + ":" + m.hostInfo().port()
                    + "/api/v1/local/clusters");
            if (remote != null && remote.isArray()) {
                remote.forEach(out::add);
            }
        }
        return out;
    }

    private JsonNode fetch(final String url) {
        try {
            final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (final Exception e) {
            final ObjectNode err = JSON.createObjectNode();
            err.put("error", "instance " + URI.create(url).getAuthority() + " did not answer: " + e.getClass().getSimpleName());
            return err;
        }
    }
}
