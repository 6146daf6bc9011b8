package io.replwatch.processor.topology;

import io.replwatch.processor.lag.LsnHistory;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The node and cluster state of one stream task, decoded once and kept in memory, written through to the stores
 * on every change (so the changelogs stay exact under exactly_once_v2) but never read back from them while the
 * task runs: decoding state on every sample was once the topology's main cost. The maps live and die with the
 * task, so they never outlive a rollback (a rolled-back task is closed and re-initialised from its changelog).
 */
final class TaskState {

    private final KeyValueStore<String, NodeState> nodeStore;
    private final KeyValueStore<String, ClusterState> clusterStore;
    private final Map<String, NodeState> nodes = new HashMap<>();
    private final Map<String, ClusterState> clusters = new HashMap<>();

    TaskState(final KeyValueStore<String, NodeState> nodeStore, final KeyValueStore<String, ClusterState> clusterStore) {
        this.nodeStore = nodeStore;
        this.clusterStore = clusterStore;
    }

    /**
     * Loads every node and cluster of the task, each cluster with its primary's history. Staleness counts
     * wall-clock silence while this task watches: a node is not stale because the processor itself was down or
     * moved (its samples are waiting in the topic), so every node's silence clock restarts at {@code wallNow}.
     */
    void load(final long wallNow, final Map<String, TreeMap<Long, Long>> history) {
        try (KeyValueIterator<String, NodeState> it = nodeStore.all()) {
            while (it.hasNext()) {
                final KeyValue<String, NodeState> kv = it.next();
                if (kv.value.lastSeenWall != null) {
                    kv.value.lastSeenWall = wallNow;
                }
                nodes.put(kv.key, kv.value);
            }
        }
        try (KeyValueIterator<String, ClusterState> it = clusterStore.all()) {
            while (it.hasNext()) {
                final KeyValue<String, ClusterState> kv = it.next();
                final ClusterState cs = kv.value;
                cs.history = new LsnHistory();
                cs.history.timeline = cs.timeline;
                history.getOrDefault(kv.key, new TreeMap<>()).forEach((time, lsn) -> {
                    cs.history.times.add(time);
                    cs.history.lsns.add(lsn);
                });
                clusters.put(kv.key, cs);
            }
        }
        // A primary sample writes its cluster's per-sample fields in the primary's own record only: take them back.
        for (final Map.Entry<String, ClusterState> e : clusters.entrySet()) {
            final ClusterState cs = e.getValue();
            final NodeState primary = cs.primary == null ? null : nodes.get(Names.nodeKey(e.getKey(), cs.primary));
            if (primary != null && primary.primaryView != null) {
                primary.primaryView.applyTo(cs);
            }
        }
    }

    /** The node's state; a node never seen before starts empty, in state UNKNOWN since {@code firstSeen}. */
    NodeState node(final String cluster, final String node, final long firstSeen) {
        return nodes.computeIfAbsent(Names.nodeKey(cluster, node), k -> {
            final NodeState ns = new NodeState();
            ns.cluster = cluster;
            ns.node = node;
            ns.key = k;
            ns.stateSince = firstSeen;
            return ns;
        });
    }

    ClusterState cluster(final String cluster) {
        return clusters.computeIfAbsent(cluster, k -> new ClusterState());
    }

    /** Every node of the task, for the staleness check. */
    Collection<NodeState> nodes() {
        return nodes.values();
    }

    /** A node's state if this task has it, else null (nothing is created). */
    NodeState peek(final String cluster, final String node) {
        return nodes.get(Names.nodeKey(cluster, node));
    }

    void saveNode(final NodeState ns) {
        nodeStore.put(Names.nodeKey(ns), ns);
    }

    /** Deletes a node's state, and its place among its cluster's primaries. */
    void forget(final NodeState ns) {
        final String key = Names.nodeKey(ns);
        nodes.remove(key);
        nodeStore.delete(key);
        final ClusterState cs = clusters.get(ns.cluster);
        if (cs != null && cs.outOfRecovery.remove(ns.node) != null) {
            clusterStore.put(ns.cluster, cs);
        }
    }

    void saveCluster(final String cluster, final ClusterState cs) {
        clusterStore.put(cluster, cs);
    }
}
