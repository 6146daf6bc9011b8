package io.replwatch.schemas;

/** Topic names, in one place. Every topic is keyed by cluster name unless its constant says otherwise. */
public final class Topics {

    /** One ReplicationSample per node per poll. */
    public static final String SAMPLES = "replwatch.samples";
    /** WalThroughput per primary per closed window. */
    public static final String WAL_THROUGHPUT = "replwatch.wal-throughput";
    /** LagRate per standby per sample, and per logical slot's consumer per primary sample. */
    public static final String LAG_RATES = "replwatch.lag-rates";
    /**
     * Compacted; key {@code cluster/node/slot}; the latest LagRate of each logical slot's consumer (a tombstone when
     * the slot is gone). The processor reads it whole as a global store to match subscriptions on a subscriber to
     * the slots they consume on a publisher watched as another cluster.
     */
    public static final String LOGICAL_CONSUMERS = "replwatch.logical-consumers";
    /** HealthTransition per state change. */
    public static final String HEALTH_TRANSITIONS = "replwatch.health-transitions";
    /** Compacted; key {@code cluster/node}; latest NodeHealth. */
    public static final String NODE_HEALTH = "replwatch.node-health";
    /** CapacityRollup per node and cluster per hour and day. */
    public static final String ROLLUPS = "replwatch.rollups";
    /**
     * Compacted; key cluster; the ClusterTarget collectors in a group poll (a tombstone removes the cluster).
     * Written by {@code replwatch targets apply}; read by every collector in the group, each its assigned partitions.
     */
    public static final String TARGETS = "replwatch.targets";
    /** Compacted; key collector id; the CollectorHeartbeat of every collector (alive, its clusters; LEFT at a clean stop). */
    public static final String COLLECTORS = "replwatch.collectors";
    /** Compacted; key collector id; the processor's CollectorStatus of each collector, read whole by every task. */
    public static final String COLLECTOR_STATUS = "replwatch.collector-status";
    /** DeadLetter: undecodable input and undeliverable notifications, with the reason. */
    public static final String DEAD_LETTER = "replwatch.dead-letter";

    private Topics() {
    }

    /** Every topic replwatch writes, for tools that create or list them. */
    public static String[] all() {
        return new String[] {SAMPLES, WAL_THROUGHPUT, LAG_RATES, LOGICAL_CONSUMERS, HEALTH_TRANSITIONS, NODE_HEALTH, ROLLUPS,
            DEAD_LETTER, TARGETS, COLLECTORS, COLLECTOR_STATUS};
    }
}
