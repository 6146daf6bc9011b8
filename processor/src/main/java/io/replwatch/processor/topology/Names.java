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

    private Names() {
    }

    /** The key of a node in node-state, node-health and replwatch.node-health. */
    public static String nodeKey(final String cluster, final String node) {
        return cluster + "/" + node;
    }
}
