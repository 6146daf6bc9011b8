package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.ArchiverStats;
import io.replwatch.avro.CheckpointerStats;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.ReplicationSettings;
import io.replwatch.processor.Samples;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.health.RuleTracker;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's memory and views: checkpoint totals over the window, a standby rejoining after DOWN, the primary's
 * settings its standbys are held to, how a standby's kind is detected, and when an archiver counts as failing.
 */
class ServerActivityTest {

    private static final long T = 1_800_000_000_000L;

    private static ReplicationSample withCheckpoints(final long t, final long timed, final long requested) {
        return ReplicationSample.newBuilder(Samples.primary("p", t, 1000, 1, Map.of()))
                .setCheckpointer(CheckpointerStats.newBuilder().setTimed(timed).setRequested(requested).build()).build();
    }

    @Test
    void checkpointsAreCountedOverTheWindowAndAResetStartsOver() {
        final NodeState ns = new NodeState();
        ServerActivity.checkpoints(withCheckpoints(T, 10, 5).getCheckpointer(), T, ns);
        for (int i = 1; i <= 6; i++) {
            ServerActivity.checkpoints(withCheckpoints(T + i * 60_000L, 10, 5 + i).getCheckpointer(), T + i * 60_000L, ns);
        }
        assertThat(ServerActivity.checkpointsInWindow(ns)).containsExactly(0, 6);
        // 40 minutes on, one timed checkpoint: the forced ones have left the 30 minute window (one baseline kept).
        ServerActivity.checkpoints(withCheckpoints(T + 46 * 60_000L, 11, 11).getCheckpointer(), T + 46 * 60_000L, ns);
        assertThat(ServerActivity.checkpointsInWindow(ns)).containsExactly(1, 0);
        // pg_stat_reset_shared('checkpointer'): the totals fall; the window starts again from there.
        ServerActivity.checkpoints(withCheckpoints(T + 47 * 60_000L, 0, 0).getCheckpointer(), T + 47 * 60_000L, ns);
        assertThat(ns.checkpointPoints).hasSize(1);
        assertThat(ServerActivity.checkpointsInWindow(ns)).containsExactly(0, 0);
    }

    @Test
    void aStandbyBackFromDownRejoinsUntilItStreamsOrItsGraceEnds() {
        final NodeState ns = new NodeState();
        ns.state = HealthState.DOWN;
        ServerActivity.rejoin(Samples.standby("s1", T, 10, 10, "startup", false, 0), T, ns);
        assertThat(ServerActivity.rejoining(ns, T + 5_000)).isTrue();
        assertThat(ServerActivity.rejoining(ns, T + ServerActivity.REJOIN_GRACE_MS)).as("grace over").isFalse();
        ServerActivity.rejoin(Samples.streaming("s1", T + 2_000, 10), T + 2_000, ns);
        assertThat(ns.rejoinSince).as("streaming ends it").isNull();
        // Not after a state other than DOWN: a standby whose receiver drops while up is RECEIVER_DISCONNECTED at once.
        ns.state = HealthState.HEALTHY;
        ServerActivity.rejoin(Samples.standby("s1", T + 3_000, 10, 10, null, false, 0), T + 3_000, ns);
        assertThat(ns.rejoinSince).isNull();
        // Still unreachable: no rejoin.
        ns.state = HealthState.DOWN;
        ServerActivity.rejoin(Samples.failed("s1", T + 4_000, PollStatus.UNREACHABLE), T + 4_000, ns);
        assertThat(ns.rejoinSince).isNull();
    }

    @Test
    void theKindOfAStandbyIsDetectedFromItsSettingsAndALabelOverridesIt() {
        final ReplicationSample plain = ReplicationSample.newBuilder(Samples.streaming("s1", T, 10))
                .setSettings(settings().setPrimaryConninfoSet(true).setRestoreCommandSet(false)
                        .setRecoveryMinApplyDelayMs(0L).build()).build();
        assertThat(NodeViews.standbyKind(plain)).isEqualTo(NodeView.StandbyKind.STREAMING);
        final ReplicationSample delayed = ReplicationSample.newBuilder(plain)
                .setSettings(settings().setPrimaryConninfoSet(true).setRecoveryMinApplyDelayMs(30_000L).build()).build();
        assertThat(NodeViews.standbyKind(delayed)).isEqualTo(NodeView.StandbyKind.DELAYED);
        final ReplicationSample archive = ReplicationSample.newBuilder(plain)
                .setSettings(settings().setPrimaryConninfoSet(false).setRestoreCommandSet(true).build()).build();
        assertThat(NodeViews.standbyKind(archive)).isEqualTo(NodeView.StandbyKind.ARCHIVE);
        // Streaming with a restore_command as fallback (the common setup): streaming.
        final ReplicationSample both = ReplicationSample.newBuilder(plain)
                .setSettings(settings().setPrimaryConninfoSet(true).setRestoreCommandSet(true).build()).build();
        assertThat(NodeViews.standbyKind(both)).isEqualTo(NodeView.StandbyKind.STREAMING);
        final ReplicationSample labelled = ReplicationSample.newBuilder(both)
                .setLabels(Map.of(NodeViews.KIND_LABEL, "archive")).build();
        assertThat(NodeViews.standbyKind(labelled)).isEqualTo(NodeView.StandbyKind.ARCHIVE);
        // Expected lag: the delay; an archive-fed standby: the primary's archive_timeout plus the slack.
        final ClusterState cs = new ClusterState();
        assertThat(NodeViews.expectedLag(NodeView.StandbyKind.DELAYED, delayed, cs)).isEqualTo(30_000L);
        assertThat(NodeViews.expectedLag(NodeView.StandbyKind.ARCHIVE, archive, cs))
                .isEqualTo(NodeViews.ARCHIVE_FED_DEFAULT_MS + NodeViews.ARCHIVE_FED_SLACK_MS);
        cs.primarySettings.put(ServerActivity.ARCHIVE_TIMEOUT, 60L);
        assertThat(NodeViews.expectedLag(NodeView.StandbyKind.ARCHIVE, archive, cs))
                .isEqualTo(60_000L + NodeViews.ARCHIVE_FED_SLACK_MS);
    }

    @Test
    void settingsBelowThePrimarysAreDriftNamingBothValues() {
        final ClusterState cs = new ClusterState();
        cs.primary = "p";
        final ReplicationSample primary = ReplicationSample.newBuilder(Samples.primary("p", T, 1000, 1, Map.of()))
                .setSettings(settings().setMaxConnections(200).setMaxLocksPerTransaction(64).setArchiveTimeoutS(60).build())
                .build();
        assertThat(ServerActivity.onSample(primary, T, new NodeState(), cs, true)).as("cluster state changed").isTrue();
        assertThat(ServerActivity.onSample(primary, T + 1, new NodeState(), cs, true)).as("same settings").isFalse();
        final ReplicationSample lower = ReplicationSample.newBuilder(Samples.streaming("s1", T, 10))
                .setSettings(settings().setMaxConnections(100).setMaxLocksPerTransaction(64).build()).build();
        assertThat(NodeViews.drift(lower, cs)).isEqualTo("max_connections 100 < the primary's 200");
        final ReplicationSample higher = ReplicationSample.newBuilder(lower)
                .setSettings(settings().setMaxConnections(300).setMaxLocksPerTransaction(64).build()).build();
        assertThat(NodeViews.drift(higher, cs)).isNull();
    }

    @Test
    void anArchiverFailsWhenItsLastAttemptFailedAfterItsLastSuccessAndRecently() {
        final long now = T;
        // Failing: the last failure is newer than the last success, 30 s ago; the oldest waiting segment 3 min old.
        NodeView.Archiving a = NodeViews.archiving(archiver("on", now, now - 30_000, now - 400_000, now - 180_000), true);
        assertThat(a.failing()).isTrue();
        assertThat(a.failingForMs()).isEqualTo(180_000L);
        // Recovered: a success after the failure.
        a = NodeViews.archiving(archiver("on", now, now - 30_000, now - 10_000, null), true);
        assertThat(a.failing()).isFalse();
        // A demoted primary (now a standby, archive_mode on): its archiver is not running, not judged at all.
        assertThat(NodeViews.archiving(archiver("on", now, now - 30_000, now - 400_000, null), false)).isNull();
        // A standby archiving itself (always) is judged.
        assertThat(NodeViews.archiving(archiver("always", now, now - 30_000, now - 400_000, null), false).failing()).isTrue();
        // An old failure with nothing archived since (a quiet primary, counters kept across a restart): not failing.
        assertThat(NodeViews.archiving(archiver("on", now, now - 3_600_000, now - 7_200_000, null), true).failing()).isFalse();
        // Archiving off: nothing to judge.
        assertThat(NodeViews.archiving(archiver("off", now, now - 30_000, null, null), true)).isNull();
    }

    @Test
    void aRoleChangeDropsTheOldRolesRulesAtOnce() {
        final NodeState ns = new NodeState();
        final SampleIntake intake = new SampleIntake(TopologySettings.defaults(), () -> { });
        intake.admit(Samples.standby("s1", T, 10, 10, null, false, 0), T, T, ns);
        ns.trackers.put("RECEIVER_DISCONNECTED", new RuleTracker());
        intake.admit(Samples.standby("s1", T + 1_000, 10, 10, null, false, 0), T + 1_000, T + 1_000, ns);
        assertThat(ns.trackers).as("same role: kept").containsKey("RECEIVER_DISCONNECTED");
        intake.admit(Samples.primary("s1", T + 2_000, 20, 2, Map.of()), T + 2_000, T + 2_000, ns);
        assertThat(ns.trackers).as("promoted: the standby's rules are gone").isEmpty();
    }

    @Test
    void aStandbyWithoutASlotIsJudgedOnWhatItsPrimaryKeepsAtItsPeakRate() {
        final ClusterState cs = new ClusterState();
        // The primary: 1 MiB/s for two minutes, then a minute at 10 MiB/s, then idle.
        long lsn = 0;
        for (int s = 0; s <= 240; s += 10) {
            cs.history.add(T + s * 1000L, lsn, 1, 3_600_000, 1000);
            lsn += (s >= 120 && s < 180 ? 10L : 1L) * 10 * (1 << 20);
        }
        assertThat(NodeViews.peakRate(cs.history, NodeViews.PEAK_SPAN_MS)).isCloseTo(10.0 * (1 << 20),
                org.assertj.core.data.Offset.offset(1.0));
        cs.primarySettings.put(ServerActivity.WAL_KEEP_SIZE_MB, 64L);
        final ReplicationSample withSlot = ReplicationSample.newBuilder(Samples.streaming("s1", T, 10))
                .setSettings(settings().setPrimarySlotName("s1").build()).build();
        assertThat(NodeViews.walKeep(withSlot, cs)).as("a slot keeps its WAL").isNull();
        final ReplicationSample noSlot = ReplicationSample.newBuilder(Samples.streaming("s1", T, 10))
                .setStandby(io.replwatch.avro.StandbyInfo.newBuilder(Samples.streaming("s1", T, 10).getStandby())
                        .setWalReceiver(io.replwatch.avro.WalReceiver.newBuilder().setStatus("streaming").build()).build())
                .setSettings(settings().setPrimarySlotName("").setRestoreCommandSet(true).build()).build();
        final NodeView.WalKeep k = NodeViews.walKeep(noSlot, cs);
        assertThat(k.keepBytes()).isEqualTo(64L << 20);
        assertThat(k.coversMs()).isEqualTo(6_400L);
        assertThat(k.archiveFallback()).isTrue();
    }

    @Test
    void aCascadingStandbysUpstreamIsKnownFromItsPgStatReplicationAndNamedWhenDown() {
        final ClusterState cs = new ClusterState();
        cs.primary = "p";
        // s2 lists s3 downstream (s3 cascades from s2); the primary lists s1 and s2.
        assertThat(ServerActivity.downstreams(Samples.primary("p", T, 100, 1, Map.of("s1", 100L, "s2", 100L)), cs)).isTrue();
        final ReplicationSample s2 = ReplicationSample.newBuilder(Samples.streaming("s2", T, 100))
                .setReplicas(Samples.primary("x", T, 100, 1, Map.of("s3", 100L)).getReplicas()).build();
        assertThat(ServerActivity.downstreams(s2, cs)).isTrue();
        assertThat(ServerActivity.downstreams(s2, cs)).as("unchanged").isFalse();
        // s2 restarted: it lists nobody until s3 reconnects; s3 is still known as its downstream meanwhile.
        assertThat(ServerActivity.downstreams(Samples.streaming("s2", T, 100), cs)).isFalse();
        assertThat(cs.downstreams.get("s2")).containsExactly("s3");
        final ReplicationSample s3 = Samples.standby("s3", T, 100, 100, null, false, 0);
        assertThat(ServerActivity.upstreamDown(s3, cs)).as("s2 is up: a broken link of s3's own").isNull();
        // s3's link just dropped: for 2 s (1.5 poll intervals) its receiver rules wait for s2's verdict.
        final NodeState ns3 = new NodeState();
        ns3.intervalMs = 500L;
        ServerActivity.rejoin(s3, T, ns3);
        assertThat(ServerActivity.awaitingUpstream(s3, ns3, cs, T + 1_500)).isTrue();
        assertThat(ServerActivity.awaitingUpstream(s3, ns3, cs, T + 2_000)).as("then its own broken link").isFalse();
        final ReplicationSample s1 = Samples.standby("s1", T, 100, 100, null, false, 0);
        assertThat(ServerActivity.upstreamOf(s1, cs)).as("a standby of the primary").isEqualTo("p");
        assertThat(ServerActivity.upstreamOf(s3, cs)).as("the cascade, not the primary").isEqualTo("s2");
        assertThat(ServerActivity.awaitingUpstream(s1, ns3, cs, T + 1)).as("the primary's verdict is awaited too").isTrue();
        cs.outOfRecovery.put("p", T - 1);
        assertThat(ServerActivity.awaitingUpstream(s1, ns3, cs, T + 1)).as("an answer from before the drop").isTrue();
        cs.outOfRecovery.put("p", T);
        assertThat(ServerActivity.awaitingUpstream(s1, ns3, cs, T + 1)).as("the primary answered since: no wait").isFalse();
        cs.outOfRecovery.remove("p");
        assertThat(ServerActivity.onHealth("s2", HealthState.DOWN, T, cs)).isTrue();
        assertThat(ServerActivity.onHealth("s2", HealthState.DOWN, T + 1, cs)).isFalse();
        assertThat(ServerActivity.upstreamDown(s3, cs)).isEqualTo("s2");
        // The primary DOWN is its standbys' upstream DOWN: one page (the primary's), not one per standby.
        ServerActivity.onHealth("p", HealthState.DOWN, T, cs);
        assertThat(ServerActivity.upstreamDown(s1, cs)).isEqualTo("p");
        // s2 back: UPSTREAM_DOWN ends with it, and s3 has the reconnect grace to stream again.
        assertThat(ServerActivity.onHealth("s2", HealthState.HEALTHY, T + 2, cs)).isTrue();
        assertThat(ServerActivity.upstreamDown(s3, cs)).as("s2 is back").isNull();
        assertThat(ServerActivity.awaitingUpstream(s3, ns3, cs, T + 2 + ServerActivity.RECONNECT_GRACE_MS - 1))
                .as("reconnecting to s2").isTrue();
        assertThat(ServerActivity.awaitingUpstream(s3, ns3, cs, T + 2 + ServerActivity.RECONNECT_GRACE_MS))
                .as("then its own broken link").isFalse();
        assertThat(ServerActivity.onHealth("s1", HealthState.HEALTHY, T + 2 + ServerActivity.REJOIN_GRACE_MS, cs))
                .as("the grace over, s2 is forgotten as back").isTrue();
        assertThat(cs.backNodes).doesNotContainKey("s2");
        // s3 re-pointed at the primary: it leaves s2's list.
        assertThat(ServerActivity.downstreams(Samples.primary("p", T, 100, 1, Map.of("s1", 100L, "s2", 100L, "s3", 100L)), cs))
                .isTrue();
        assertThat(cs.downstreams).doesNotContainKey("s2");
        assertThat(cs.downstreams.get("p")).containsExactly("s1", "s2", "s3");
    }

    private static ReplicationSettings.Builder settings() {
        return ReplicationSettings.newBuilder().setReadAt(Instant.ofEpochMilli(T));
    }

    private static ReplicationSample archiver(final String mode, final long now, final Long failedAt, final Long archivedAt,
                                              final Long oldestReady) {
        return ReplicationSample.newBuilder(Samples.primary("p", now, 1000, 1, Map.of()))
                .setServerTime(Instant.ofEpochMilli(now))
                .setSettings(settings().setArchiveMode(mode).setArchiveCommandSet(true).build())
                .setArchiver(ArchiverStats.newBuilder().setArchivedCount(5).setFailedCount(failedAt == null ? 0 : 3)
                        .setLastFailedAt(failedAt == null ? null : Instant.ofEpochMilli(failedAt))
                        .setLastArchivedAt(archivedAt == null ? null : Instant.ofEpochMilli(archivedAt))
                        .setReadyCount(oldestReady == null ? 0 : 4)
                        .setOldestReadyAt(oldestReady == null ? null : Instant.ofEpochMilli(oldestReady)).build())
                .build();
    }
}
