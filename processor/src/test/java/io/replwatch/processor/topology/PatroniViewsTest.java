package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.PatroniInfo;
import io.replwatch.avro.PatroniMember;
import io.replwatch.avro.PatroniSelf;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.health.FailoverRanking;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Planned or not, the Patroni view the rules see, and the failover candidates of a primary's sample. */
class PatroniViewsTest {

    static {
        io.replwatch.serde.AvroTrust.init();
    }

    private static PatroniMember member(final String name, final String role, final String state, final Long lag,
                                        final boolean nofailover) {
        return PatroniMember.newBuilder().setName(name).setRole(role).setState(state).setHost("127.0.0.1").setPort(5432)
                .setTimeline(2).setLag(lag).setNofailover(nofailover).build();
    }

    private static ReplicationSample sample(final String node, final boolean primary, final PatroniInfo p,
                                            final List<ReplicaRow> replicas) {
        return ReplicationSample.newBuilder().setCluster("c").setNode(node).setCollectorId("t")
                .setSampledAt(Instant.ofEpochMilli(10_000)).setStatus(PollStatus.OK).setInRecovery(!primary)
                .setTimeline(2).setWalLsn(primary ? 10_000_000L : null).setReplicas(replicas).setPatroni(p).build();
    }

    private static PatroniInfo info(final String leader, final List<PatroniMember> members) {
        return PatroniInfo.newBuilder().setReadAt(Instant.ofEpochMilli(9_000)).setLeader(leader).setMembers(members)
                .setSynchronousMode(true).setSynchronousModeStrict(false).setMaximumLagOnFailover(1L << 20).setTtlS(10)
                .build();
    }

    @Test
    void aPromotionIsPlannedWhenTheOldPrimaryWasDemotedOrIsStillAMember() {
        final PatroniInfo afterSwitchover = info("pg2", List.of(member("pg2", "leader", "running", null, false),
                member("pg1", "replica", "stopping", null, false)));
        final ReplicationSample pg2 = sample("pg2", true, afterSwitchover, List.of());
        assertThat(PatroniViews.plannedPromotion(pg2, "pg1", "leader/running")).as("still listed, not the leader").isTrue();
        assertThat(PatroniViews.plannedPromotion(pg2, "pg1", "demoted/stopped")).isTrue();
        // The dead leader left /cluster when its key expired, and its own Patroni stopped answering.
        final PatroniInfo afterDeath = info("pg2", List.of(member("pg2", "leader", "running", null, false),
                member("pg3", "replica", "running", 0L, false)));
        assertThat(PatroniViews.plannedPromotion(sample("pg2", true, afterDeath, List.of()), "pg1", "unreachable"))
                .isFalse();
        // A /cluster read from before the promotion (pg1 still leader) decides nothing.
        final PatroniInfo stale = info("pg1", List.of(member("pg1", "leader", "running", null, false),
                member("pg2", "sync_standby", "running", 0L, false)));
        assertThat(PatroniViews.plannedPromotion(sample("pg2", true, stale, List.of()), "pg1", "unreachable")).isFalse();
        assertThat(PatroniViews.plannedPromotion(sample("pg2", true, null, List.of()), "pg1", null)).as("no Patroni")
                .isFalse();
    }

    @Test
    void clusterFindingsGoToThePrimaryAndPlannedStatesAreRecognised() {
        final ClusterState cs = new ClusterState();
        cs.primary = "pg1";
        final PatroniInfo p = PatroniInfo.newBuilder(info("pg1", List.of(member("pg1", "leader", "running", null, false))))
                .setSelf(PatroniSelf.newBuilder().setState("restarting").setRole("leader")
                        .setDcsLastSeen(Instant.ofEpochMilli(4_000)).build()).build();
        final NodeView.Patroni onPrimary = PatroniViews.view(sample("pg1", true, p, List.of()), cs, 10_000, new NodeState());
        assertThat(onPrimary.clusterLevel()).isTrue();
        assertThat(onPrimary.planned()).isTrue();
        assertThat(onPrimary.dcsUnseenMs()).isEqualTo(6_000L);
        assertThat(onPrimary.syncStreaming()).isFalse();
        final NodeView.Patroni onStandby = PatroniViews.view(sample("pg2", false, p, List.of()), cs, 10_000, new NodeState());
        assertThat(onStandby.clusterLevel()).isFalse();
        // A node already DOWN (it crashed) that Patroni now restarts stays DOWN until it is back: no flap to WARNING.
        final NodeState crashed = new NodeState();
        final io.replwatch.processor.health.RuleTracker tr = new io.replwatch.processor.health.RuleTracker();
        tr.firing = true;
        tr.firedAt = 1_000L;
        tr.current = new io.replwatch.processor.health.Finding(io.replwatch.processor.health.Rules.NODE_UNREACHABLE,
                io.replwatch.avro.HealthState.DOWN, null, null, null, "refused");
        crashed.trackers.put(io.replwatch.processor.health.Rules.NODE_UNREACHABLE, tr);
        assertThat(PatroniViews.view(sample("pg1", true, p, List.of()), cs, 10_000, crashed).planned()).isFalse();
        // One that began planned stays planned for a while after Patroni says running again, then not.
        tr.current = new io.replwatch.processor.health.Finding(io.replwatch.processor.health.Rules.NODE_UNREACHABLE,
                io.replwatch.avro.HealthState.WARNING, null, null, null, "planned");
        final PatroniInfo running = PatroniInfo.newBuilder(p).setSelf(PatroniSelf.newBuilder().setState("running")
                .setRole("replica").build()).build();
        assertThat(PatroniViews.view(sample("pg1", false, running, List.of()), cs, 30_000, crashed).planned()).isTrue();
        assertThat(PatroniViews.view(sample("pg1", false, running, List.of()), cs, 62_000, crashed).planned()).isFalse();
    }

    @Test
    void aPrimarysCandidatesComeFromItsSendersAndPatronisMembers() {
        final PatroniInfo p = info("pg1", List.of(member("pg1", "leader", "running", null, false),
                member("pg2", "sync_standby", "running", 0L, false), member("pg3", "replica", "running", 2_000L, true),
                member("pg4", "replica", "stopped", null, false)));
        final List<ReplicaRow> rows = List.of(
                ReplicaRow.newBuilder().setApplicationName("pg2").setState("streaming").setSyncState("sync")
                        .setFlushLsn(9_999_000L).setReplayLsn(9_998_000L).build(),
                ReplicaRow.newBuilder().setApplicationName("pg3").setState("streaming").setSyncState("async")
                        .setFlushLsn(9_998_000L).setReplayLsn(9_990_000L).build());
        final FailoverRanking.Result r = PatroniViews.failover(sample("pg1", true, p, rows), new ClusterState(), n -> null);
        assertThat(r.pick()).isEqualTo("pg2");
        assertThat(r.ranked()).extracting(x -> x.candidate().node()).containsExactly("pg2", "pg3", "pg4");
        assertThat(r.ranked().get(0).candidate().unreplicatedBytes()).isEqualTo(1_000L);
        assertThat(r.ranked().get(1).reasons()).contains("tagged nofailover");
        assertThat(r.ranked().get(2).reasons()).contains("not streaming");
    }
}
