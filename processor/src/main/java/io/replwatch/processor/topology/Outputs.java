package io.replwatch.processor.topology;

import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.WalThroughput;

/**
 * Everything the stages publish, one method per output topic, each with its record timestamp (event time). The
 * processor forwards to the topology's sinks; stage tests record what was published.
 */
interface Outputs {

    void walThroughput(String cluster, WalThroughput value, long timestamp);

    void lagRate(String cluster, LagRate value, long timestamp);

    /**
     * A logical slot's latest figures to the compacted replwatch.logical-consumers, key {@code cluster/node/slot};
     * null withdraws them (the slot is gone).
     */
    void logicalConsumer(String key, LagRate value, long timestamp);

    void transition(String cluster, HealthTransition value, long timestamp);

    /**
     * The node's latest health: to the queryable store and the compacted topic, key {@code cluster/node}; null
     * deletes it from both (a forgotten node).
     */
    void nodeHealth(String nodeKey, NodeHealth value, long timestamp);

    void rollup(String cluster, CapacityRollup value, long timestamp);

    void deadLetter(String key, DeadLetter value, long timestamp);
}
