package io.replwatch.processor.topology;

/** Names of the topology's processors, sinks and stores: metrics, logs and the HTTP API use the same. */
public final class Names {

    public static final String SOURCE = "samples-source";
    public static final String PROCESSOR = "replication-state";
    public static final String NODE_STATE_STORE = "node-state";
    public static final String CLUSTER_STATE_STORE = "cluster-state";
    public static final String NODE_HEALTH_STORE = "node-health";
    public static final String HISTORY_STORE = "primary-history";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";
    public static final String WAL_THROUGHPUT_SINK = "wal-throughput-sink";
    public static final String LAG_RATES_SINK = "lag-rates-sink";
    public static final String TRANSITIONS_SINK = "health-transitions-sink";
    public static final String NODE_HEALTH_SINK = "node-health-sink";
    public static final String ROLLUPS_SINK = "rollups-sink";
    public static final String LOGICAL_CONSUMERS_SINK = "logical-consumers-sink";
    public static final String LOGICAL_CONSUMERS_SOURCE = "logical-consumers-source";
    public static final String COLLECTORS_SOURCE = "collectors-source";
    public static final String WATCH = "collector-watch";
    public static final String HEARTBEATS_STORE = "collector-heartbeats";
    public static final String WATCH_STORE = "collector-watch-status";
    public static final String COLLECTOR_STATUS_SINK = "collector-status-sink";
    public static final String WATCH_TRANSITIONS_SINK = "collector-transitions-sink";
    public static final String WATCH_DEAD_LETTER_SINK = "collector-dead-letter-sink";
    public static final String COLLECTOR_STATUS_SOURCE = "collector-status-source";
    public static final String COLLECTOR_STATUS_LOADER = "collector-status-loader";
    public static final String COLLECTOR_STATUS_STORE = "collector-status";
    public static final String LOGICAL_CONSUMERS_LOADER = "logical-consumers-loader";
    /** Global: every watched primary's latest figures per logical slot, for matching subscriptions to them. */
    public static final String LOGICAL_CONSUMERS_STORE = "logical-consumers";

    private Names() {
    }

    /**
     * Cluster and node names make the state keys ({@code cluster/node}) and the HTTP API's paths and prefix scans:
     * a '/' (or a control character) in one would collide with another node's key. The collector refuses such
     * names in its configuration; a sample that carries one anyway is not processed.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static void requireValid(final String cluster, final String node) {
        requireValid(cluster);
        requireValid(node);
    }

    private static void requireValid(final String name) {
        if (name == null || name.isEmpty() || name.length() > 128) {
            throw new IllegalArgumentException("cluster and node names must be 1 to 128 characters");
        }
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            if (c == '/' || c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("'" + name.replaceAll("\\p{Cntrl}", "?") + "': cluster and node "
                        + "names cannot hold '/' or control characters (they make the state keys cluster/node)");
            }
        }
    }

    /** The key of a node in node-state, node-health and replwatch.node-health. */
    public static String nodeKey(final String cluster, final String node) {
        return cluster + "/" + node;
    }

    /** The node's key, made on first use and kept in its state (several stages and stores key by it per sample). */
    static String nodeKey(final io.replwatch.processor.state.NodeState ns) {
        String k = ns.key;
        if (k == null) {
            k = nodeKey(ns.cluster, ns.node);
            ns.key = k;
        }
        return k;
    }
}
