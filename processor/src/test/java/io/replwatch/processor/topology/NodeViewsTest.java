package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.LagTrend;
import io.replwatch.processor.Samples;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The view stage: what the rules are shown of a standby, a primary and a silent node. */
class NodeViewsTest {

    private final NodeViews views = new NodeViews(TopologySettings.defaults());

    private static ClusterState clusterWithPrimary(final long at, final String... listed) {
        final ClusterState cs = new ClusterState();
        cs.primary = "p";
        cs.primarySampleAt = at;
        cs.outOfRecovery.put("p", at);
        int pid = 100;
        cs.replicas = new java.util.ArrayList<>();
        for (final String s : listed) {
            cs.replicas.add(new ClusterState.Replica(++pid, s, "streaming", 1L, 1L, 1L, 1L, "async"));
        }
        return cs;
    }

    @Test
    void aStandbyIsShownItsLagTrendAndWhetherThePrimaryListsIt() {
        final NodeState ns = new NodeState();
        ns.inRecovery = true;
        ns.timeLagMs = 1_500L;
        ns.replayLagBytes = 4_096L;
        ns.trend = LagTrend.STALLED;
        ns.stalledSince = 4_000L;
        final NodeView listed = views.of(Samples.streaming("s1", 10_000, 1), 10_000, ns, clusterWithPrimary(9_000, "s1"));
        assertThat(listed.standbyListedUpstream()).isTrue();
        assertThat(listed.timeLagMs()).isEqualTo(1_500L);
        assertThat(listed.trend()).isEqualTo(LagTrend.STALLED);
        assertThat(listed.stalledForMs()).isEqualTo(6_000L);
        assertThat(listed.receiverStatus()).isEqualTo("streaming");
        assertThat(views.of(Samples.streaming("s1", 10_000, 1), 10_000, ns, clusterWithPrimary(9_000)).standbyListedUpstream())
                .isFalse();
        // The primary's last sample is older than the stale limit (15 s): whether it lists the standby is unknown.
        assertThat(views.of(Samples.streaming("s1", 30_000, 1), 30_000, ns, clusterWithPrimary(9_000)).standbyListedUpstream())
                .isNull();
    }

    @Test
    void aPrimaryIsShownMissingSyncStandbysSlotsAndOtherPrimaries() {
        final NodeState ns = new NodeState();
        ns.inRecovery = false;
        final ClusterState cs = clusterWithPrimary(10_000);
        cs.outOfRecovery.put("s2", 9_500L);
        final NodeView v = views.of(Samples.primary("p", 10_000, 5_000, 1, Map.of("s2", 1_000L)), 10_000, ns, cs);
        // synchronous_standby_names 'FIRST 1 (s1)' and only s2 streams.
        assertThat(v.syncMissing()).isEqualTo(1);
        assertThat(v.slots()).extracting(NodeView.SlotView::retainedBytes).containsExactly(4_000L);
        assertThat(v.splitBrain()).isTrue();
        assertThat(v.splitBrainNodes()).containsExactly("p", "s2");
        assertThat(v.standbyListedUpstream()).isNull();
    }

    @Test
    void aSilentNodeIsStaleAfterSomeOfItsPollIntervalsButNeverUnderTheMinimum() {
        final NodeState ns = new NodeState();
        assertThat(views.staleAfter(ns)).isEqualTo(15_000);
        ns.intervalMs = 10_000L;
        assertThat(views.staleAfter(ns)).as("three intervals").isEqualTo(30_000);
        ns.cluster = "c";
        ns.node = "s1";
        ns.status = io.replwatch.avro.PollStatus.OK;
        final NodeView stale = views.stale(ns, 31_000);
        assertThat(stale.stale()).isTrue();
        assertThat(stale.staleForMs()).isEqualTo(31_000);
        assertThat(stale.slots()).isEqualTo(List.of());
    }

    /** Issue 16: the oldest of every kind of holder is the horizon, named; nothing held, no horizon. */
    @Test
    void theHorizonIsItsOldestHolder() {
        final long t = 1_764_000_000_000L;
        final io.replwatch.avro.ReplicationSample plain = Samples.primary("p", t, 100, 1, Map.of("s1", 100L));
        assertThat(NodeViews.horizon(plain)).isNull();
        final io.replwatch.avro.ReplicationSample s = io.replwatch.avro.ReplicationSample.newBuilder(plain)
                .setReplicas(List.of(io.replwatch.avro.ReplicaRow.newBuilder(plain.getReplicas().get(0))
                        .setBackendXminAge(900L).build()))
                .setSlots(List.of(io.replwatch.avro.SlotRow.newBuilder().setSlotName("cdc").setSlotType("logical")
                        .setActive(false).setPlugin("pgoutput").setDatabase("shop").setXminAge(null).setCatalogXminAge(1_200L)
                        .build()))
                .setHorizon(io.replwatch.avro.XminHolders.newBuilder()
                        .setBackend(io.replwatch.avro.XminBackend.newBuilder().setPid(4242).setXminAge(1_000L)
                                .setState("idle in transaction").setDatabase("shop")
                                .setXactStart(java.time.Instant.ofEpochMilli(t - 60_000)).build())
                        .setPrepared(io.replwatch.avro.XminPrepared.newBuilder().setGid("pay-42").setXminAge(800L).build())
                        .build())
                .build();
        final NodeView.XminHolder h = NodeViews.horizon(s);
        assertThat(h.kind()).isEqualTo(NodeView.HolderKind.LOGICAL_SLOT);
        assertThat(h.name()).isEqualTo("cdc");
        assertThat(h.ageXids()).isEqualTo(1_200L);
        assertThat(h.detail()).isEqualTo("inactive, plugin pgoutput, database shop");
        // The slot consumed: the open transaction is the oldest, with how long it has been open.
        final io.replwatch.avro.ReplicationSample consumed = io.replwatch.avro.ReplicationSample.newBuilder(s)
                .setSlots(List.of()).build();
        final NodeView.XminHolder tx = NodeViews.horizon(consumed);
        assertThat(tx.kind()).isEqualTo(NodeView.HolderKind.TRANSACTION);
        assertThat(tx.name()).isEqualTo("4242");
        assertThat(tx.heldForMs()).isEqualTo(60_000L);
        assertThat(tx.detail()).isEqualTo("idle in transaction, database shop");
    }
}
