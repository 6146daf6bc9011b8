package io.replwatch.processor.topology;

import io.replwatch.avro.LagRate;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.WalThroughput;
import io.replwatch.processor.health.NodeView;

/**
 * What the topology tells the service beyond its output topics: counts (a clock-skewed sample), and the live view
 * of the nodes its tasks own, which the service exports to Prometheus. Called from stream threads; every method
 * but {@link #clockSkewed()} defaults to nothing.
 */
public interface ProcessorMetrics {

    /** A sample whose collector's clock was off by more than the skew window. */
    void clockSkewed();

    /** A node's health as published (null: the node is forgotten). */
    default void nodeHealth(final String nodeKey, final NodeHealth value) {
    }

    /** A standby's lag as published. */
    default void lagRate(final String nodeKey, final LagRate value) {
    }

    /** A primary's WAL throughput window as published. */
    default void walThroughput(final String nodeKey, final WalThroughput value) {
    }

    /** The view the rules judged a node's sample on (slots, horizon). */
    default void nodeView(final String nodeKey, final NodeView view) {
    }

    /**
     * A node's samples came from another collector than its last one: a takeover in the collectors' group, or a
     * collector restarted under a new id. Its sequence numbers start again: not a gap.
     */
    default void collectorChanged() {
    }

    /** Samples lost between two from the same collector: the sequence number jumped by more than one. */
    default void samplesMissing(final long count) {
    }

    /** The node's task left this instance (a rebalance, or shutdown): another instance exports it now. */
    default void released(final String nodeKey) {
    }

    ProcessorMetrics NONE = () -> { };
}
