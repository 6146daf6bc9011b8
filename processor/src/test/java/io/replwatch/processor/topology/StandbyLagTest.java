package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.LagRate;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.StandbyInfo;
import io.replwatch.avro.WalReceiver;
import io.replwatch.processor.Samples;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The standby-lag stage: lag by stage, true time lag, trend and stall, conflicts, and the replica row match. */
class StandbyLagTest {

    private final StandbyLag lag = new StandbyLag(TopologySettings.defaults());
    private final ClusterState cs = new ClusterState();
    private final NodeState ns = new NodeState();

    /** The primary at {@code lsn} at time {@code t}: a point of its history and its replica rows. */
    private void primaryAt(final long t, final long lsn, final long s1Replay) {
        cs.primary = "p";
        cs.systemIdentifier = Samples.SYSID;
        cs.history.add(t, lsn, 1, 3_600_000, 512);
        cs.replicas = List.of(new ClusterState.Replica(101, "s1", "streaming", lsn, lsn, lsn, s1Replay, "sync"));
        cs.slotActivePids = Map.of("s1", 101L);
    }

    @Test
    void withoutAPrimaryHistoryTheLagIsUnknown() {
        assertThat(lag.onSample(Samples.streaming("s1", 1_000, 100), 1_000, ns, cs)).isNull();
        assertThat(ns.trend).isEqualTo(LagTrend.UNKNOWN);
        assertThat(ns.timeLagMs).isNull();
    }

    @Test
    void aStandbyOfAnotherDatabaseSystemHasNoLagAgainstThisPrimary() {
        primaryAt(1_000, 1_000, 1_000);
        final ReplicationSample other = ReplicationSample.newBuilder(Samples.streaming("s1", 1_000, 500))
                .setSystemIdentifier(42L).build();
        assertThat(lag.onSample(other, 1_000, ns, cs)).isNull();
        assertThat(ns.trend).isEqualTo(LagTrend.UNKNOWN);
    }

    @Test
    void lagAgainstTheHistoryGivesBytesTrueTimeAndStages() {
        primaryAt(0, 1_000, 1_000);
        primaryAt(10_000, 2_000, 1_000);
        final LagRate r = lag.onSample(Samples.standby("s1", 10_000, 1_800, 1_500, "streaming", false, 0), 10_000, ns, cs);
        assertThat(r.getReplayLagBytes()).isEqualTo(500);
        assertThat(r.getReceiveLagBytes()).isEqualTo(200);
        assertThat(r.getSentLagBytes()).isZero();
        // The primary passed 1,500 halfway between 0 s and 10 s: 5 s ago.
        assertThat(r.getTimeLagMs()).isEqualTo(5_000);
        assertThat(r.getUpstream()).isEqualTo("p");
        assertThat(ns.replayLagBytes).isEqualTo(500);
    }

    @Test
    void replayStandingStillBehindAMovingPrimaryIsAStallTimedFromItsFirstPoint() {
        for (long t = 0; t <= 16_000; t += 1_000) {
            primaryAt(t, 1_000 + t, 1_000);
            ns.intervalMs = 1_000L;
            lag.onSample(Samples.streaming("s1", t, 1_000), t, ns, cs);
        }
        assertThat(ns.trend).isEqualTo(LagTrend.STALLED);
        // Behind from 1 s on (at 0 s the standby had everything); points are kept a tenth of the window (6 s)
        // apart, so the run is timed from the first kept point behind the primary, 5 s.
        assertThat(ns.stalledSince).isEqualTo(5_000L);
        primaryAt(17_000, 18_000, 18_000);
        lag.onSample(Samples.streaming("s1", 17_000, 18_000), 17_000, ns, cs);
        assertThat(ns.trend).isEqualTo(LagTrend.OK);
        assertThat(ns.stalledSince).isNull();
    }

    @Test
    void conflictsAreCountedWithinTheirWindowFromABaseline() {
        primaryAt(0, 1_000, 1_000);
        final long window = TopologySettings.defaults().conflictsWindow().toMillis();
        lag.onSample(Samples.standby("s1", 0, 1_000, 1_000, "streaming", false, 10), 0, ns, cs);
        lag.onSample(Samples.standby("s1", 1_000, 1_000, 1_000, "streaming", false, 10), 1_000, ns, cs);
        lag.onSample(Samples.standby("s1", 2_000, 1_000, 1_000, "streaming", false, 25), 2_000, ns, cs);
        assertThat(ns.conflictPoints).as("only changes are kept").hasSize(2);
        assertThat(StandbyLag.conflictsInWindow(ns)).isEqualTo(15);
        lag.onSample(Samples.standby("s1", window + 3_000, 1_000, 1_000, "streaming", false, 25), window + 3_000, ns, cs);
        assertThat(StandbyLag.conflictsInWindow(ns)).as("the rise is older than the window").isZero();
    }

    @Test
    void theReplicaRowIsFoundByApplicationNameElseThroughTheSlot() {
        primaryAt(0, 1_000, 900);
        assertThat(StandbyLag.replicaOf(Samples.streaming("s1", 0, 900), cs)).extracting(ClusterState.Replica::pid).isEqualTo(101);
        // A standby whose receiver reports another application_name but streams through slot s1.
        assertThat(StandbyLag.replicaOf(receivingThrough("s1"), cs)).extracting(ClusterState.Replica::pid).isEqualTo(101);
        // Neither name nor slot: not listed.
        assertThat(StandbyLag.replicaOf(receivingThrough("other"), cs)).isNull();
    }

    private static ReplicationSample receivingThrough(final String slot) {
        final ReplicationSample s = Samples.streaming("x", 0, 900);
        return ReplicationSample.newBuilder(s).setStandby(StandbyInfo.newBuilder(s.getStandby())
                .setWalReceiver(WalReceiver.newBuilder().setStatus("streaming").setApplicationName("walreceiver")
                        .setSlotName(slot).build()).build()).build();
    }
}
