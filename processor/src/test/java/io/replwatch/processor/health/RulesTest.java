package io.replwatch.processor.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.HealthState;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.PollStatus;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rule against a healthy baseline changed in one respect; one numbered row per case with why.
 * Expected: the rule codes that fire and the resulting state (no enter durations here: see RuleTrackerTest).
 */
class RulesTest {

    /** A healthy streaming standby, caught up. */
    private static final NodeView STANDBY = NodeView.builder("c", "s1")
            .inRecovery(true).replayPaused(false).receiverStatus("streaming").timeLagMs(0L).replayLagBytes(0L)
            .trend(LagTrend.OK).standbyListedUpstream(true)
            .slots(List.of(new NodeView.SlotView("s1", true, false, 0L, "reserved", null)))
            .walSenders(1).maxWalSenders(10).maxReplicationSlots(10)
            .build();
    /** A healthy primary with one synchronous standby streaming. */
    private static final NodeView PRIMARY = NodeView.builder("c", "p")
            .inRecovery(false).syncMissing(0).syncStandbyNames("FIRST 1 (s1)")
            .slots(List.of(new NodeView.SlotView("s1", true, false, 0L, "reserved", null)))
            .walSenders(1).maxWalSenders(10).maxReplicationSlots(10)
            .build();

    /** The base view with the changes of one row. */
    private static NodeView view(final NodeView base, final UnaryOperator<NodeView.Builder> change) {
        return change.apply(base.toBuilder()).build();
    }

    static Stream<Arguments> table() {
        return Stream.of(
                // 1. Healthy standby: nothing fires.
                Arguments.of(1, view(STANDBY, b -> b), List.of(), HealthState.HEALTHY),
                // 2. Healthy primary: nothing fires.
                Arguments.of(2, view(PRIMARY, b -> b), List.of(), HealthState.HEALTHY),
                // 3. Connection refused: the node is DOWN.
                Arguments.of(3, view(STANDBY, b -> b.status(PollStatus.UNREACHABLE)), List.of(Rules.NODE_UNREACHABLE), HealthState.DOWN),
                // 4. A poll timeout is as good as unreachable.
                Arguments.of(4, view(PRIMARY, b -> b.status(PollStatus.TIMEOUT)), List.of(Rules.NODE_UNREACHABLE), HealthState.DOWN),
                // 5. Wrong password: the server is there but we are blind: WARNING, not DOWN.
                Arguments.of(5, view(PRIMARY, b -> b.status(PollStatus.AUTH_FAILED)), List.of(Rules.MONITORING_FAILED), HealthState.WARNING),
                // 6. No sample for a while (wall clock): UNKNOWN.
                Arguments.of(6, view(STANDBY, b -> b.stale(true).staleForMs(20_000L)), List.of(Rules.SAMPLES_STALE), HealthState.UNKNOWN),
                // 7. Time lag 61 s: over the 60 s warning.
                Arguments.of(7, view(STANDBY, b -> b.timeLagMs(61_000L)), List.of(Rules.LAG_TIME), HealthState.WARNING),
                // 8. Time lag 301 s: over the 300 s critical.
                Arguments.of(8, view(STANDBY, b -> b.timeLagMs(301_000L)), List.of(Rules.LAG_TIME), HealthState.CRITICAL),
                // 9. Exactly at the threshold does not fire (strictly over).
                Arguments.of(9, view(STANDBY, b -> b.timeLagMs(60_000L)), List.of(), HealthState.HEALTHY),
                // 10. 300 MiB behind: over the 256 MiB warning.
                Arguments.of(10, view(STANDBY, b -> b.replayLagBytes(300L << 20)), List.of(Rules.LAG_BYTES), HealthState.WARNING),
                // 11. Replay stalled 10 s: WARNING at once.
                Arguments.of(11, view(STANDBY, b -> b.trend(LagTrend.STALLED).stalledForMs(10_000L)), List.of(Rules.REPLAY_STALLED), HealthState.WARNING),
                // 12. Replay stalled 60 s: CRITICAL.
                Arguments.of(12, view(STANDBY, b -> b.trend(LagTrend.STALLED).stalledForMs(60_000L)), List.of(Rules.REPLAY_STALLED), HealthState.CRITICAL),
                // 13. Replay paused by hand: WARNING.
                Arguments.of(13, view(STANDBY, b -> b.replayPaused(true)), List.of(Rules.REPLAY_PAUSED), HealthState.WARNING),
                // 14. WAL receiver gone although receive == replay: the link is cut, CRITICAL.
                Arguments.of(14, view(STANDBY, b -> b.receiverStatus(null)), List.of(Rules.RECEIVER_DISCONNECTED), HealthState.CRITICAL),
                // 15. Receiver not streaming and the primary no longer lists it: both views say so.
                Arguments.of(15, view(STANDBY, b -> b.receiverStatus("waiting").standbyListedUpstream(false)),
                        List.of(Rules.RECEIVER_DISCONNECTED, Rules.STANDBY_MISSING), HealthState.CRITICAL),
                // 16. Not listed by the primary but streaming (a cascading standby): not missing.
                Arguments.of(16, view(STANDBY, b -> b.standbyListedUpstream(false)), List.of(), HealthState.HEALTHY),
                // 17. The named synchronous standby is not streaming: commits wait, CRITICAL.
                Arguments.of(17, view(PRIMARY, b -> b.syncMissing(1)), List.of(Rules.SYNC_STANDBY_MISSING), HealthState.CRITICAL),
                // 18. A slot whose WAL is lost: CRITICAL.
                Arguments.of(18, view(PRIMARY, b -> b.slots(List.of(new NodeView.SlotView("s1", false, false, 5L << 30, "lost", null)))),
                        List.of(Rules.SLOT_WAL_AT_RISK, Rules.SLOT_INACTIVE), HealthState.CRITICAL),
                // 19. An inactive permanent slot retaining WAL: WARNING.
                Arguments.of(19, view(PRIMARY, b -> b.slots(List.of(new NodeView.SlotView("old", false, false, 1L << 30, "extended", null)))),
                        List.of(Rules.SLOT_INACTIVE), HealthState.WARNING),
                // 20. A temporary inactive slot is someone's pg_basebackup in passing: not flagged.
                Arguments.of(20, view(PRIMARY, b -> b.slots(List.of(new NodeView.SlotView("tmp", false, true, 1L << 20, "reserved", null)))),
                        List.of(), HealthState.HEALTHY),
                // 21. 512 MiB from losing a slot's WAL: WARNING.
                Arguments.of(21, view(PRIMARY, b -> b.slots(List.of(new NodeView.SlotView("s1", true, false, 0L, "reserved", 512L << 20)))),
                        List.of(Rules.SLOT_WAL_AT_RISK), HealthState.WARNING),
                // 22. 8 of 10 WAL senders in use: WARNING.
                Arguments.of(22, view(PRIMARY, b -> b.walSenders(8)), List.of(Rules.SENDERS_EXHAUSTED), HealthState.WARNING),
                // 23. 101 recovery conflicts in the window: WARNING.
                Arguments.of(23, view(STANDBY, b -> b.conflictsInWindow(101L)), List.of(Rules.CONFLICTS), HealthState.WARNING),
                // 24. Exactly 100 conflicts: not over.
                Arguments.of(24, view(STANDBY, b -> b.conflictsInWindow(100L)), List.of(), HealthState.HEALTHY),
                // 25. The new primary after a failover: WARNING while the hold lasts.
                Arguments.of(25, view(PRIMARY, b -> b.failoverActive(true).failoverFrom("old")), List.of(Rules.FAILOVER), HealthState.WARNING),
                // 26. Two primaries at once: CRITICAL.
                Arguments.of(26, view(PRIMARY, b -> b.splitBrain(true).splitBrainNodes(List.of("p", "s2"))), List.of(Rules.SPLIT_BRAIN), HealthState.CRITICAL),
                // 27. Worst wins: paused (WARNING) and receiver gone (CRITICAL) gives CRITICAL.
                Arguments.of(27, view(STANDBY, b -> b.replayPaused(true).receiverStatus(null)),
                        List.of(Rules.RECEIVER_DISCONNECTED, Rules.REPLAY_PAUSED), HealthState.CRITICAL),
                // 28. A stale node evaluates no data rules even if its last view had lag.
                Arguments.of(28, view(STANDBY, b -> b.stale(true).staleForMs(20_000L).timeLagMs(999_000L)),
                        List.of(Rules.SAMPLES_STALE), HealthState.UNKNOWN),
                // 29. Another database system under the cluster's name: a configuration to fix, WARNING; never
                //     SPLIT_BRAIN (the view sets no split brain for it).
                Arguments.of(29, view(PRIMARY, b -> b.identityConflict("system identifier 42 is not the cluster's")),
                        List.of(Rules.CLUSTER_IDENTITY_CONFLICT), HealthState.WARNING),
                // 30. The collector's clock 10 minutes ahead: WARNING (its samples were taken at the processor's time).
                Arguments.of(30, view(STANDBY, b -> b.clockSkewMs(600_000L)), List.of(Rules.CLOCK_SKEW), HealthState.WARNING),
                // 31. A stale node is judged on staleness alone, whatever its last clock said.
                Arguments.of(31, view(STANDBY, b -> b.clockSkewMs(600_000L).stale(true).staleForMs(20_000L)),
                        List.of(Rules.SAMPLES_STALE), HealthState.UNKNOWN),
                // ---- issue 15
                // 32. The archiver's last attempt failed, just now: WARNING at once.
                Arguments.of(32, view(PRIMARY, b -> b.archiving(archive(true, 20_000L, 3, 20_000L))),
                        List.of(Rules.ARCHIVE_FAILING), HealthState.WARNING),
                // 33. Failing for 5 minutes: CRITICAL (and the oldest waiting segment is over ARCHIVE_LAG's 5 min too).
                Arguments.of(33, view(PRIMARY, b -> b.archiving(archive(true, 300_000L, 40, 300_001L))),
                        List.of(Rules.ARCHIVE_FAILING, Rules.ARCHIVE_LAG), HealthState.CRITICAL),
                // 34. A demoted node's old failure, or a failure followed by a success: the view says not failing.
                Arguments.of(34, view(STANDBY, b -> b.archiving(archive(false, null, 0, null))), List.of(), HealthState.HEALTHY),
                // 35. Archiving slow, not failing: the oldest segment has waited 6 minutes: WARNING.
                Arguments.of(35, view(PRIMARY, b -> b.archiving(archive(false, null, 12, 360_000L))),
                        List.of(Rules.ARCHIVE_LAG), HealthState.WARNING),
                // 36. Hovering at the threshold: exactly 5 minutes is not over.
                Arguments.of(36, view(PRIMARY, b -> b.archiving(archive(false, null, 12, 300_000L))), List.of(), HealthState.HEALTHY),
                // 37. 31 minutes waiting: CRITICAL.
                Arguments.of(37, view(PRIMARY, b -> b.archiving(archive(false, null, 900, 1_860_000L))),
                        List.of(Rules.ARCHIVE_LAG), HealthState.CRITICAL),
                // 38. 4 of 5 checkpoints in the window requested: WARNING.
                Arguments.of(38, view(PRIMARY, b -> b.checkpoints(new NodeView.Checkpoints(1, 4, 1_800_000L, 8.0 * (1 << 20), 300, 64L))),
                        List.of(Rules.CHECKPOINTS_FORCED), HealthState.WARNING),
                // 39. Two requested (a manual CHECKPOINT and a backup) among none timed: too few to judge.
                Arguments.of(39, view(PRIMARY, b -> b.checkpoints(new NodeView.Checkpoints(0, 2, 1_800_000L, null, 300, 1024L))),
                        List.of(), HealthState.HEALTHY),
                // 40. 3 requested of 7: under half, the timeout still drives checkpoints.
                Arguments.of(40, view(PRIMARY, b -> b.checkpoints(new NodeView.Checkpoints(4, 3, 1_800_000L, null, 300, 1024L))),
                        List.of(), HealthState.HEALTHY),
                // 40b. 5 of 8 requested in 2 minutes, but 6 MiB/s over them is 720 MiB: one checkpoint's worth under a
                //      1 GB max_wal_size. The others were asked for (restarts, base backups): no WARNING (found in CI).
                Arguments.of(40, view(PRIMARY, b -> b.checkpoints(new NodeView.Checkpoints(3, 5, 120_000L, 6.0 * (1 << 20), 30, 1024L))),
                        List.of(), HealthState.HEALTHY),
                // 40c. The same checkpoints under a 4 MB max_wal_size: WAL volume explains them all.
                Arguments.of(40, view(PRIMARY, b -> b.checkpoints(new NodeView.Checkpoints(3, 5, 120_000L, 6.0 * (1 << 20), 30, 4L))),
                        List.of(Rules.CHECKPOINTS_FORCED), HealthState.WARNING),
                // 40d. 5 of 5 requested while the WAL rate is unknown (a primary's first samples after a promotion, its
                //      history just begun): the promotion's and pg_rewind's own checkpoints, nothing to blame max_wal_size
                //      for (found on real Patroni, where it held a WARNING for 5 minutes).
                Arguments.of(40, view(PRIMARY, b -> b.checkpoints(new NodeView.Checkpoints(0, 5, 119_000L, null, 300, 1024L))),
                        List.of(), HealthState.HEALTHY),
                // 41. An active slot whose slow consumer holds 9 GiB (wal_status still reserved): WARNING.
                Arguments.of(41, view(PRIMARY, b -> b.slots(List.of(new NodeView.SlotView("etl", true, false, 9L << 30, "reserved", null)))),
                        List.of(Rules.SLOT_RETENTION), HealthState.WARNING),
                // 42. 33 GiB in an inactive slot: SLOT_RETENTION CRITICAL beside SLOT_INACTIVE.
                Arguments.of(42, view(PRIMARY, b -> b.slots(List.of(new NodeView.SlotView("old", false, false, 33L << 30, "extended", null)))),
                        List.of(Rules.SLOT_RETENTION, Rules.SLOT_INACTIVE), HealthState.CRITICAL),
                // 43. A standby's max_connections below its primary's: WARNING naming both.
                Arguments.of(43, view(STANDBY, b -> b.settingsDrift("max_connections 50 < the primary's 100")),
                        List.of(Rules.SETTINGS_DRIFT), HealthState.WARNING),
                // 44. A delayed standby (30 s) 40 s behind: judged on 10 s, no LAG_TIME; 2 GiB behind is its design.
                Arguments.of(44, view(STANDBY, b -> b.standbyKind(NodeView.StandbyKind.DELAYED).expectedLagMs(30_000L)
                        .timeLagMs(40_000L).replayLagBytes(2L << 30)), List.of(), HealthState.HEALTHY),
                // 45. The same delayed standby 95 s behind: 65 s beyond its delay, LAG_TIME WARNING.
                Arguments.of(45, view(STANDBY, b -> b.standbyKind(NodeView.StandbyKind.DELAYED).expectedLagMs(30_000L)
                        .timeLagMs(95_000L)), List.of(Rules.LAG_TIME), HealthState.WARNING),
                // 46. Its replay stands still 20 s while the primary writes: within the delay, no stall.
                Arguments.of(46, view(STANDBY, b -> b.standbyKind(NodeView.StandbyKind.DELAYED).expectedLagMs(30_000L)
                        .trend(LagTrend.STALLED).stalledForMs(20_000L)), List.of(), HealthState.HEALTHY),
                // 47. An archive-fed standby: no WAL receiver and not listed by the primary is its design.
                Arguments.of(47, view(STANDBY, b -> b.standbyKind(NodeView.StandbyKind.ARCHIVE).expectedLagMs(90_000L)
                        .receiverStatus(null).standbyListedUpstream(false).timeLagMs(70_000L)), List.of(), HealthState.HEALTHY),
                // 48. Archiving stopped: its replay stalled 100 s beyond the archive interval: REPLAY_STALLED CRITICAL.
                Arguments.of(48, view(STANDBY, b -> b.standbyKind(NodeView.StandbyKind.ARCHIVE).expectedLagMs(90_000L)
                        .receiverStatus(null).trend(LagTrend.STALLED).stalledForMs(190_000L)),
                        List.of(Rules.REPLAY_STALLED), HealthState.CRITICAL),
                // 49. A standby back from DOWN whose receiver does not stream yet: still DOWN, not CRITICAL.
                Arguments.of(49, view(STANDBY, b -> b.rejoining(true).receiverStatus(null).standbyListedUpstream(false)),
                        List.of(Rules.NODE_UNREACHABLE), HealthState.DOWN),
                // 50. No slot; the primary keeps 64 MiB, at a 1 MiB/s peak about a minute: under 10 minutes, WARNING.
                Arguments.of(50, view(STANDBY, b -> b.walKeep(new NodeView.WalKeep(64L << 20, 1 << 20, false))),
                        List.of(Rules.WAL_KEEP_SHORT), HealthState.WARNING),
                // 51. 1 GiB kept at 1 MiB/s: 17 minutes, covered.
                Arguments.of(51, view(STANDBY, b -> b.walKeep(new NodeView.WalKeep(1L << 30, 1 << 20, false))),
                        List.of(), HealthState.HEALTHY),
                // 52. Exactly 10 minutes of WAL kept: at the threshold, not short.
                Arguments.of(52, view(STANDBY, b -> b.walKeep(new NodeView.WalKeep(600L << 20, 1 << 20, true))),
                        List.of(), HealthState.HEALTHY),
                // 53. A cascading standby receives nothing because its upstream is DOWN: that cause, not its symptoms.
                Arguments.of(53, view(STANDBY, b -> b.receiverStatus(null).standbyListedUpstream(false).upstreamDown("s2")),
                        List.of(Rules.UPSTREAM_DOWN), HealthState.CRITICAL),
                // 54. A cascading standby's link dropped a moment ago, its upstream's fate not known yet: it waits.
                Arguments.of(54, view(STANDBY, b -> b.receiverStatus(null).standbyListedUpstream(false).awaitingUpstream(true)),
                        List.of(), HealthState.HEALTHY),
                // 55. A stopped standby that the primary no longer lists: unreachable, not also missing (a
                //     STANDBY_MISSING fired meanwhile would outlive its return by clear_for).
                Arguments.of(55, view(STANDBY, b -> b.status(PollStatus.UNREACHABLE).receiverStatus(null).standbyListedUpstream(false)),
                        List.of(Rules.NODE_UNREACHABLE), HealthState.DOWN),
                // 56. A primary back from DOWN whose synchronous standby has not reconnected yet: still DOWN, not
                //     SYNC_STANDBY_MISSING (which would hold it CRITICAL for clear_for after the standby is back).
                Arguments.of(56, view(PRIMARY, b -> b.rejoining(true).syncMissing(1)), List.of(Rules.NODE_UNREACHABLE), HealthState.DOWN),
                // 57. The primary's horizon 5 million transactions old: below the 10 million warning.
                Arguments.of(57, view(PRIMARY, b -> b.horizon(holder(5_000_000, NodeView.HolderKind.TRANSACTION))),
                        List.of(), HealthState.HEALTHY),
                // 58. 20 million, a forgotten prepared transaction: WARNING.
                Arguments.of(58, view(PRIMARY, b -> b.horizon(holder(20_000_000, NodeView.HolderKind.PREPARED))),
                        List.of(Rules.XMIN_HORIZON), HealthState.WARNING),
                // 59. 150 million, a logical slot nothing consumes: CRITICAL (past half of autovacuum_freeze_max_age).
                Arguments.of(59, view(PRIMARY, b -> b.horizon(holder(150_000_000, NodeView.HolderKind.LOGICAL_SLOT))),
                        List.of(Rules.XMIN_HORIZON), HealthState.CRITICAL),
                // 60. A standby's own horizon: vacuum runs on the primary; what a standby holds there is the
                //     primary's (its feedback), so it is judged there.
                Arguments.of(60, view(STANDBY, b -> b.horizon(holder(150_000_000, NodeView.HolderKind.TRANSACTION))),
                        List.of(), HealthState.HEALTHY),
                // 61. A logical slot's consumer 100 MiB behind: below the 1 GiB warning (an idle publisher's caught-up
                //     subscriber is a few bytes behind).
                Arguments.of(61, view(PRIMARY, b -> b.logicalSlots(List.of(logical(100L << 20, LagTrend.OK)))),
                        List.of(), HealthState.HEALTHY),
                // 62. 2 GiB behind and stalled: WARNING.
                Arguments.of(62, view(PRIMARY, b -> b.logicalSlots(List.of(logical(100L << 20, LagTrend.OK),
                        logical(2L << 30, LagTrend.STALLED)))), List.of(Rules.LOGICAL_SLOT_LAG), HealthState.WARNING),
                // 63. 20 GiB behind: CRITICAL.
                Arguments.of(63, view(PRIMARY, b -> b.logicalSlots(List.of(logical(20L << 30, LagTrend.FALLING_BEHIND)))),
                        List.of(Rules.LOGICAL_SLOT_LAG), HealthState.CRITICAL),
                // 63b. A slot whose decoding spilled 2 GiB to disk within the window: WARNING.
                Arguments.of(63, view(PRIMARY, b -> b.logicalSlots(List.of(spilling(1L << 20, LagTrend.OK, 2L << 30)))),
                        List.of(Rules.LOGICAL_SLOT_SPILL), HealthState.WARNING),
                // 63c. 100 MiB spilled: under the 1 GiB warning.
                Arguments.of(63, view(PRIMARY, b -> b.logicalSlots(List.of(spilling(1L << 20, LagTrend.OK, 100L << 20)))),
                        List.of(), HealthState.HEALTHY),
                // 64. A subscription applying, no errors: nothing.
                Arguments.of(64, view(PRIMARY, b -> b.subscriptions(List.of(sub(true, true, 0)))), List.of(), HealthState.HEALTHY),
                // 65. Enabled, no apply worker: CRITICAL.
                Arguments.of(65, view(PRIMARY, b -> b.subscriptions(List.of(sub(true, false, 0)))),
                        List.of(Rules.SUBSCRIPTION_DOWN), HealthState.CRITICAL),
                // 66. Disabled: WARNING (its slot keeps WAL on the publisher).
                Arguments.of(66, view(PRIMARY, b -> b.subscriptions(List.of(sub(false, false, 0)))),
                        List.of(Rules.SUBSCRIPTION_DOWN), HealthState.WARNING),
                // 67. Apply errors within the window, the worker restarting between them: both.
                Arguments.of(67, view(PRIMARY, b -> b.subscriptions(List.of(sub(true, false, 3)))),
                        List.of(Rules.SUBSCRIPTION_DOWN, Rules.SUBSCRIPTION_ERRORS), HealthState.CRITICAL),
                // 68. Errors, the worker running again: WARNING until the window forgets them.
                Arguments.of(68, view(PRIMARY, b -> b.subscriptions(List.of(sub(true, true, 3)))),
                        List.of(Rules.SUBSCRIPTION_ERRORS), HealthState.WARNING),
                // 69. Matched to its publisher, 90 s behind there: WARNING (over 60 s).
                Arguments.of(69, view(PRIMARY, b -> b.subscriptions(List.of(behind(90_000L, LagTrend.FALLING_BEHIND)))),
                        List.of(Rules.SUBSCRIPTION_LAG), HealthState.WARNING),
                // 70. 10 minutes behind: CRITICAL.
                Arguments.of(70, view(PRIMARY, b -> b.subscriptions(List.of(behind(600_000L, LagTrend.STALLED)))),
                        List.of(Rules.SUBSCRIPTION_LAG), HealthState.CRITICAL),
                // 71. Caught up on an idle publisher (its time lag 0, whatever the clock says): nothing.
                Arguments.of(71, view(PRIMARY, b -> b.subscriptions(List.of(behind(0L, LagTrend.OK)))), List.of(),
                        HealthState.HEALTHY),
                // 72. The publisher not watched (no match): no lag is claimed.
                Arguments.of(72, view(PRIMARY, b -> b.subscriptions(List.of(behind(null, null)))), List.of(),
                        HealthState.HEALTHY),
                // 73. A Patroni cluster's primary, all well: nothing fires.
                Arguments.of(73, view(PRIMARY, b -> b.patroni(patroni(true, false, true, true, null, null))), List.of(),
                        HealthState.HEALTHY),
                // 74. Maintenance mode: WARNING on the cluster's primary.
                Arguments.of(74, view(PRIMARY, b -> b.patroni(patroni(true, true, true, true, null, null))),
                        List.of(Rules.PATRONI_PAUSED), HealthState.WARNING),
                // 75. ... but only there: a standby carries no cluster finding.
                Arguments.of(75, view(STANDBY, b -> b.patroni(patroni(false, true, true, false, null, null))), List.of(),
                        HealthState.HEALTHY),
                // 76. synchronous_mode and no synchronous standby streaming (non-strict): WARNING.
                Arguments.of(76, view(PRIMARY, b -> b.patroni(patroni(true, false, true, false, null, null))),
                        List.of(Rules.SYNC_DEGRADED), HealthState.WARNING),
                // 77. The same under synchronous_mode_strict: commits wait, CRITICAL.
                Arguments.of(77, view(PRIMARY, b -> b.patroni(new NodeView.Patroni(true, null, false, "p", false, true,
                        true, false, "running", null, false, 1_000L, 10, false))), List.of(Rules.SYNC_DEGRADED),
                        HealthState.CRITICAL),
                // 78. A stopped node under maintenance: still DOWN (the alerter's inhibition mutes it), said so.
                Arguments.of(78, view(STANDBY, b -> b.status(PollStatus.UNREACHABLE).patroni(patroni(false, true, true,
                        false, null, null))), List.of(Rules.NODE_UNREACHABLE), HealthState.DOWN),
                // 79. Patroni stopping the node's PostgreSQL (a switchover): planned, WARNING, not DOWN.
                Arguments.of(79, view(PRIMARY, b -> b.status(PollStatus.UNREACHABLE).patroni(new NodeView.Patroni(true,
                        null, false, "p", false, true, false, true, "stopping", null, false, 1_000L, 10, true))),
                        List.of(Rules.NODE_UNREACHABLE), HealthState.WARNING),
                // 80. A promotion Patroni ran with the old primary alive: SWITCHOVER, not FAILOVER.
                Arguments.of(80, view(PRIMARY, b -> b.failoverActive(true).failoverFrom("s1").failoverPlanned(true)),
                        List.of(Rules.SWITCHOVER), HealthState.WARNING),
                // 81. The DCS last seen 30 s ago with a 10 s ttl: CRITICAL on that member.
                Arguments.of(81, view(STANDBY, b -> b.patroni(new NodeView.Patroni(false, null, false, "p", false, true,
                        false, true, "running", null, false, 30_000L, 10, false))), List.of(Rules.DCS_UNREACHABLE),
                        HealthState.CRITICAL),
                // 82. A member needing a restart: WARNING.
                Arguments.of(82, view(STANDBY, b -> b.patroni(new NodeView.Patroni(false, null, false, "p", false, true,
                        false, true, "running", null, true, 1_000L, 10, false))), List.of(Rules.PENDING_RESTART),
                        HealthState.WARNING),
                // 83. No member holds the leader key: CRITICAL.
                Arguments.of(83, view(PRIMARY, b -> b.patroni(new NodeView.Patroni(true, null, false, null, true, true,
                        false, true, "running", null, false, 1_000L, 10, false))), List.of(Rules.PATRONI_LEADERLESS),
                        HealthState.CRITICAL),
                // 84. No endpoint answers: WARNING, and nothing else is judged from Patroni.
                Arguments.of(84, view(PRIMARY, b -> b.patroni(patroni(true, false, true, true, "no Patroni endpoint "
                        + "answered", null))), List.of(Rules.PATRONI_UNREACHABLE), HealthState.WARNING),
                // 85. No standby could be promoted: WARNING.
                Arguments.of(85, view(PRIMARY, b -> b.patroni(patroni(true, false, true, true, null, null))
                        .failover(FailoverRanking.rank(List.of(new FailoverRanking.Candidate("s1", false, true, "sync",
                                0L, 0L, 0L, LagTrend.OK, 1, true, 0L)), new FailoverRanking.Policy(1, true, 1L << 20)))),
                        List.of(Rules.NO_FAILOVER_CANDIDATE), HealthState.WARNING),
                // 86. A standby not streaming on an older timeline than its primary's: named, instead of the
                // receiver and missing-standby rules.
                Arguments.of(86, view(STANDBY, b -> b.receiverStatus(null).standbyListedUpstream(false)
                        .divergedTimeline("on timeline 1 while its primary p is on 2")),
                        List.of(Rules.TIMELINE_DIVERGED), HealthState.CRITICAL),
                // 87. Streaming on an older timeline (it follows the new one at the next switch): nothing.
                Arguments.of(87, view(STANDBY, b -> b.divergedTimeline("on timeline 1 while its primary p is on 2")),
                        List.of(), HealthState.HEALTHY),
                // 88. A cascading standby whose upstream is DOWN: its replay stands still because nothing arrives;
                // UPSTREAM_DOWN names the cause, no REPLAY_STALLED beside it.
                Arguments.of(88, view(STANDBY, b -> b.receiverStatus(null).upstreamDown("s2").trend(LagTrend.STALLED)
                        .stalledForMs(20_000L)), List.of(Rules.UPSTREAM_DOWN), HealthState.CRITICAL),
                // 89. Patroni's synchronous_mode names a standby that does not stream: SYNC_DEGRADED (held 10 s by
                //     default: Patroni replaces it within a loop) instead of SYNC_STANDBY_MISSING, CRITICAL: commits wait.
                Arguments.of(89, view(PRIMARY, b -> b.syncMissing(1).patroni(patroni(true, false, true, false, null, null))),
                        List.of(Rules.SYNC_DEGRADED), HealthState.CRITICAL),
                // 90. Its upstream back a moment ago and its WAL receiver not yet reconnected: the stall is the
                //     outage's; no REPLAY_STALLED while it reconnects (found by LocalScenariosIT's cascade under load).
                Arguments.of(90, view(STANDBY, b -> b.receiverStatus(null).awaitingUpstream(true).trend(LagTrend.STALLED)
                        .stalledForMs(23_000L)), List.of(), HealthState.HEALTHY));
    }

    /** Patroni's view: cluster level or not, paused, synchronous_mode, a synchronous standby streaming, error. */
    private static NodeView.Patroni patroni(final boolean clusterLevel, final boolean paused, final boolean syncMode,
                                            final boolean syncStreaming, final String error, final String selfState) {
        return new NodeView.Patroni(clusterLevel, error, paused, error == null ? "p" : null, false,
                error == null ? syncMode : null, false, syncStreaming, selfState == null ? "running" : selfState, null,
                false, 1_000L, 10, false);
    }

    /** A running subscription matched to its publisher's slot with this time lag (null: not matched). */
    private static NodeView.SubscriptionView behind(final Long lagMs, final LagTrend trend) {
        return new NodeView.SubscriptionView("sub1", true, true, 0, 0L, 0L, 1_000L, "sub1", lagMs == null ? null
                : new NodeView.Publisher("shop", "pg1", "sub1", lagMs * 1000, lagMs, trend,
                trend == LagTrend.CATCHING_UP ? 60_000L : null, 0L));
    }

    private static NodeView.SubscriptionView sub(final boolean enabled, final boolean running, final long errors) {
        return new NodeView.SubscriptionView("sub1", enabled, running, errors, errors, 0L, 1_000L, "sub1", null);
    }

    private static NodeView.LogicalSlot logical(final long lag, final LagTrend trend) {
        return spilling(lag, trend, 0);
    }

    private static NodeView.LogicalSlot spilling(final long lag, final LagTrend trend, final long spilled) {
        return new NodeView.LogicalSlot("cdc" + lag, "pgoutput", "shop", trend != LagTrend.STALLED, lag, trend,
                trend == LagTrend.STALLED ? 300_000 : 0, trend == LagTrend.CATCHING_UP ? 120_000L : null,
                trend == LagTrend.STALLED ? 0d : 3d * (1 << 20), 2d * (1 << 20), spilled, spilled > 0 ? 4L : 0L, null,
                null);
    }

    @org.junit.jupiter.api.Test
    void aSubscriptionsReasonsSayWhatToDo() {
        final NodeView errors = view(PRIMARY, b -> b.subscriptions(List.of(sub(true, true, 3))));
        assertThat(Rules.subscriptionErrors(errors, Thresholds.defaultFor(Rules.SUBSCRIPTION_ERRORS)).orElseThrow()
                .message()).isEqualTo("subscription sub1: 3 error(s) within the window (3 apply, 0 table sync since the"
                + " counters' reset): a row that conflicts, a missing table or column, or a permission on the subscriber;"
                + " its log names it; fix it, or skip the transaction (ALTER SUBSCRIPTION sub1 SKIP)");
        final NodeView disabled = view(PRIMARY, b -> b.subscriptions(List.of(sub(false, false, 0))));
        assertThat(Rules.subscriptionDown(disabled, Thresholds.defaultFor(Rules.SUBSCRIPTION_DOWN)).orElseThrow()
                .message()).contains("subscription sub1 is disabled").contains("slot sub1 keeps WAL on the publisher");
    }

    @org.junit.jupiter.api.Test
    void aLogicalSlotsReasonGivesItsTrend() {
        final Thresholds.RuleSettings t = Thresholds.defaultFor(Rules.LOGICAL_SLOT_LAG);
        final java.util.function.Function<NodeView.LogicalSlot, String> reason = l -> Rules.logicalSlotLag(
                view(PRIMARY, b -> b.logicalSlots(List.of(l))), t).orElseThrow().message();
        assertThat(reason.apply(logical(2L << 30, LagTrend.STALLED))).contains("logical slot cdc2147483648 (inactive,"
                + " nothing consuming it, plugin pgoutput, database shop) is 2048.0 MiB behind the primary, stalled for 5m:"
                + " its consumer confirms nothing");
        assertThat(reason.apply(logical(2L << 30, LagTrend.CATCHING_UP))).contains("catching up (consuming 3.0 MiB/s,"
                + " the primary writes 2.0 MiB/s), about 2m to go");
        assertThat(reason.apply(logical(2L << 30, LagTrend.FALLING_BEHIND))).contains("falling behind");
        // Stopped a moment ago, before the window can call it stalled: not "steady".
        assertThat(reason.apply(new NodeView.LogicalSlot("sub1", "pgoutput", "postgres", false, 2L << 30, LagTrend.OK, 0,
                null, 0d, 5d * (1 << 20), 0, 0L, null, null))).contains("not moving (consuming 0.0 MiB/s, the primary writes 5.0 MiB/s)");
        // Streamed to a subscription, its true time lag known: both named.
        assertThat(reason.apply(new NodeView.LogicalSlot("sub1", "pgoutput", "postgres", true, 2L << 30,
                LagTrend.FALLING_BEHIND, 0, null, 1d, 5d * (1 << 20), 0, 0L, 95_000L, "sub1")))
                .contains("logical slot sub1 (active, streamed to sub1, plugin pgoutput, database postgres) is 2048.0 MiB"
                        + " (95.0 s) behind the primary, falling behind");
    }

    @org.junit.jupiter.api.Test
    void aSubscriptionsLagNamesItsPublisherAndSlot() {
        final String reason = Rules.subscriptionLag(view(PRIMARY, b -> b.subscriptions(List.of(
                behind(90_000L, LagTrend.CATCHING_UP)))), Thresholds.defaultFor(Rules.SUBSCRIPTION_LAG))
                .orElseThrow().message();
        assertThat(reason).isEqualTo("subscription sub1 is 90.0 s behind its publisher shop/pg1 (slot sub1, 85.8 MiB),"
                + " catching up, about 1m to go");
    }

    private static NodeView.XminHolder holder(final long age, final NodeView.HolderKind kind) {
        return new NodeView.XminHolder(age, kind, "h1", 90_000L, null);
    }

    @org.junit.jupiter.api.Test
    void theHorizonsReasonNamesItsHolderAndWhatToDo() {
        final Thresholds.RuleSettings t = Thresholds.defaultFor(Rules.XMIN_HORIZON);
        final java.util.function.Function<NodeView.XminHolder, String> reason = h -> Rules.xminHorizon(
                view(PRIMARY, b -> b.horizon(h)), t).orElseThrow().message();
        assertThat(reason.apply(new NodeView.XminHolder(20_000_000, NodeView.HolderKind.PREPARED, "pay-42", 3_600_000L,
                "database shop"))).contains("20000000 transactions old").contains("prepared transaction 'pay-42'")
                .contains("open 1h").contains("ROLLBACK PREPARED 'pay-42'");
        assertThat(reason.apply(new NodeView.XminHolder(20_000_000, NodeView.HolderKind.TRANSACTION, "4242", 125_000L,
                "idle in transaction, database shop"))).contains("backend pid 4242 (idle in transaction, database shop,"
                + " open 2m5s)").contains("pg_terminate_backend(4242)");
        assertThat(reason.apply(new NodeView.XminHolder(20_000_000, NodeView.HolderKind.LOGICAL_SLOT, "cdc", null,
                "inactive, plugin pgoutput"))).contains("logical replication slot cdc").contains("drop the slot");
        assertThat(reason.apply(new NodeView.XminHolder(20_000_000, NodeView.HolderKind.STANDBY_FEEDBACK, "standby1",
                null, null))).contains("standby standby1's hot_standby_feedback").contains("hot_standby_feedback off");
        assertThat(reason.apply(new NodeView.XminHolder(20_000_000, NodeView.HolderKind.SLOT, "old_standby", null,
                "physical, inactive"))).contains("replication slot old_standby (physical, inactive)");
    }

    /** An archiver view: failing or not, for how long, segments waiting and the oldest one's age. */
    private static NodeView.Archiving archive(final boolean failing, final Long failingFor, final int ready,
                                              final Long oldestAge) {
        return new NodeView.Archiving(failing ? 7 : 0, failing, failingFor, failing ? "000000010000000000000042" : null,
                ready, oldestAge);
    }

    @ParameterizedTest(name = "row {0}")
    @MethodSource("table")
    void evaluates(final int row, final NodeView view, final List<String> firing, final HealthState state) {
        final Thresholds zeroFor = new Thresholds(Thresholds.ruleNames().stream().collect(java.util.stream.Collectors.toMap(
                r -> r, r -> Thresholds.defaultFor(r).with(null, null, java.time.Duration.ZERO, null))), java.util.Map.of());
        final HealthEvaluator.Outcome out = HealthEvaluator.evaluate(view, zeroFor, new java.util.HashMap<>(), 0);
        assertThat(out.firing()).extracting(Finding::rule).as("row %d", row).containsExactlyInAnyOrderElementsOf(firing);
        assertThat(out.state()).as("row %d", row).isEqualTo(state);
    }

    @org.junit.jupiter.api.Test
    void syncStandbyNamesAreParsedAsPostgresDoes() {
        assertThat(SyncStandbyNames.parse("")).isNull();
        assertThat(SyncStandbyNames.parse("s1, s2").missing(List.of("s2"))).isZero();
        assertThat(SyncStandbyNames.parse("FIRST 2 (s1, s2, s3)").missing(List.of("s3"))).isEqualTo(1);
        assertThat(SyncStandbyNames.parse("ANY 1 (\"S1\", s2)").missing(List.of("S1"))).isZero();
        assertThat(SyncStandbyNames.parse("2 (s1, s2)").missing(List.of())).isEqualTo(2);
        assertThat(SyncStandbyNames.parse("*").missing(List.of("anything"))).isZero();
    }
}
