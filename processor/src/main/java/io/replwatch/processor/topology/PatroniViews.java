package io.replwatch.processor.topology;

import io.replwatch.avro.PatroniInfo;
import io.replwatch.avro.PatroniMember;
import io.replwatch.avro.PatroniSelf;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.health.FailoverRanking;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Lsn;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Stage helpers for Patroni clusters: what a sample's Patroni part means for the rules (cluster-level facts go to
 * the cluster's primary), whether a promotion was planned, and the failover readiness of a primary's standbys.
 */
final class PatroniViews {

    /** Member states in which Patroni itself is stopping or starting PostgreSQL: an outage it runs on purpose. */
    static final Set<String> PLANNED_STATES = Set.of("stopping", "starting", "restarting", "creating replica",
            "running custom bootstrap script", "initializing new cluster", "rebuilding");

    private PatroniViews() {
    }

    /** What the node's own Patroni says, as kept in the cluster state: {@code role/state} or {@code unreachable}. */
    static String selfSummary(final ReplicationSample s) {
        final PatroniInfo p = s.getPatroni();
        if (p == null || p.getSelf() == null) {
            return null;
        }
        final PatroniSelf me = p.getSelf();
        return me.getError() != null ? "unreachable" : me.getRole() + "/" + me.getState();
    }

    /**
     * Whether a promotion seen in {@code s} (the new primary's sample) was planned: the old primary's own Patroni
     * last said it was being demoted, stopped or restarted by Patroni or runs as a replica, or the cluster view of
     * {@code s} lists it as a member that is no longer the leader. A primary that died unplanned stops answering
     * (its Patroni goes with it) and leaves the member list when its key expires.
     */
    static boolean plannedPromotion(final ReplicationSample s, final String oldPrimary, final String oldSelf) {
        final PatroniInfo p = s.getPatroni();
        if (p == null || oldPrimary == null || oldPrimary.equals(s.getNode())) {
            return false;
        }
        if (oldSelf != null && !"unreachable".equals(oldSelf)) {
            final int slash = oldSelf.indexOf('/');
            final String role = oldSelf.substring(0, slash);
            final String state = oldSelf.substring(slash + 1);
            if (PLANNED_STATES.contains(state) || !"leader".equals(role) && "running".equals(state)
                    || "demoted".equals(role)) {
                return true;
            }
        }
        if (p.getError() == null && s.getNode().equals(p.getLeader())) {
            for (final PatroniMember m : p.getMembers()) {
                if (m.getName().equals(oldPrimary)) {
                    return !"leader".equals(m.getRole()) && !"crashed".equals(m.getState()) && !"stopped".equals(m.getState());
                }
            }
        }
        return false;
    }

    /** The rules' Patroni view of a node; null when the sample has no Patroni part. */
    /**
     * How long an outage that began as planned stays planned while Patroni no longer says so (its member back to
     * {@code running} but PostgreSQL not answering yet, or the receiver not streaming yet): after it, DOWN.
     */
    static final long PLANNED_GRACE_MS = 60_000L;
    /** A PostgreSQL started this recently by Patroni is still coming up, as far as a failed poll is concerned. */
    static final long JUST_STARTED_MS = 20_000L;

    static NodeView.Patroni view(final ReplicationSample s, final ClusterState cs, final long t, final NodeState ns) {
        final PatroniInfo p = s.getPatroni();
        if (p == null) {
            return null;
        }
        final PatroniSelf me = p.getSelf();
        final boolean clusterLevel = s.getNode().equals(cs.primary) || cs.primary == null && s.getNode().equals(p.getLeader());
        boolean pendingRestart = me != null && me.getPendingRestart();
        for (final PatroniMember m : p.getMembers()) {
            pendingRestart |= m.getName().equals(s.getNode()) && m.getPendingRestart();
        }
        boolean syncStreaming = false;
        for (final var r : s.getReplicas()) {
            syncStreaming |= "streaming".equals(r.getState())
                    && ("sync".equals(r.getSyncState()) || "quorum".equals(r.getSyncState()));
        }
        final boolean selfOk = me != null && me.getError() == null;
        final boolean selfPlanned = selfOk && (me.getState() != null && PLANNED_STATES.contains(me.getState())
                || "demoted".equals(me.getRole()));
        final io.replwatch.processor.health.RuleTracker tr = ns.trackers.get(io.replwatch.processor.health.Rules.NODE_UNREACHABLE);
        final boolean continuing = tr != null && tr.firing && tr.current != null
                && tr.current.severity() == io.replwatch.avro.HealthState.WARNING && tr.firedAt != null
                && t - tr.firedAt < PLANNED_GRACE_MS;
        // PostgreSQL that Patroni (re)started moments ago: a failed poll now is the restart's tail (a connection it
        // ended, a retry still backing off), not a new outage.
        final boolean justStarted = selfOk && "running".equals(me.getState()) && me.getPostmasterStart() != null
                && s.getStatus() != io.replwatch.avro.PollStatus.OK
                && t - me.getPostmasterStart().toEpochMilli() < JUST_STARTED_MS;
        // An outage that began unplanned (the node DOWN) stays DOWN while Patroni restarts it: it is over when the
        // node is back, not when Patroni starts working on it.
        final boolean down = tr != null && tr.firing && tr.current != null
                && tr.current.severity() == io.replwatch.avro.HealthState.DOWN;
        return new NodeView.Patroni(clusterLevel, p.getError(), p.getPaused() || selfOk && me.getPaused(), p.getLeader(),
                p.getError() == null && p.getLeader() == null && !p.getMembers().isEmpty(),
                p.getSynchronousMode(), Boolean.TRUE.equals(p.getSynchronousModeStrict()), syncStreaming,
                selfOk ? me.getState() : null, me == null ? null : me.getError(), pendingRestart,
                selfOk && me.getDcsLastSeen() != null ? Math.max(0, t - me.getDcsLastSeen().toEpochMilli()) : null,
                p.getTtlS(), !down && (selfPlanned || continuing || justStarted));
    }

    /**
     * The failover readiness of the standbys of {@code s}, the cluster's primary: every standby its
     * pg_stat_replication lists, every other Patroni member and every other node of the cluster this task knows.
     */
    static FailoverRanking.Result failover(final ReplicationSample s, final ClusterState cs,
                                           final Function<String, NodeState> peers) {
        final Map<String, FailoverRanking.Candidate> byName = new LinkedHashMap<>();
        final PatroniInfo p = s.getPatroni();
        final Map<String, PatroniMember> members = new LinkedHashMap<>();
        if (p != null) {
            p.getMembers().forEach(m -> members.put(m.getName(), m));
        }
        final List<String> names = new ArrayList<>();
        for (final var r : s.getReplicas()) {
            if (r.getApplicationName() != null && !names.contains(r.getApplicationName())) {
                names.add(r.getApplicationName());
            }
        }
        members.keySet().forEach(n -> {
            if (!names.contains(n)) {
                names.add(n);
            }
        });
        for (final String n : names) {
            if (n.equals(s.getNode())) {
                continue;
            }
            final PatroniMember m = members.get(n);
            if (m != null && "leader".equals(m.getRole())) {
                continue;
            }
            io.replwatch.avro.ReplicaRow row = null;
            for (final var r : s.getReplicas()) {
                if (n.equals(r.getApplicationName()) && (row == null || "streaming".equals(r.getState()))) {
                    row = r;
                }
            }
            final NodeState peer = peers.apply(n);
            final Long flushed = row == null ? null : row.getFlushLsn();
            final Long replayed = row == null ? null : row.getReplayLsn();
            byName.put(n, new FailoverRanking.Candidate(n,
                    peer != null && peer.state == io.replwatch.avro.HealthState.DOWN,
                    row != null && "streaming".equals(row.getState()),
                    row == null ? null : row.getSyncState(),
                    flushed == null || s.getWalLsn() == null ? null : Lsn.bytesBehind(s.getWalLsn(), flushed),
                    replayed == null || s.getWalLsn() == null ? null : Lsn.bytesBehind(s.getWalLsn(), replayed),
                    peer == null ? null : peer.timeLagMs,
                    peer == null ? null : peer.trend,
                    m != null && m.getTimeline() != null ? m.getTimeline() : peer == null ? null : peer.timeline,
                    m != null && m.getNofailover(),
                    m == null ? null : m.getLag()));
        }
        final FailoverRanking.Policy policy = p == null || p.getError() != null
                ? new FailoverRanking.Policy(s.getTimeline(), null, null)
                : new FailoverRanking.Policy(s.getTimeline(), Boolean.TRUE.equals(p.getSynchronousMode()),
                        p.getMaximumLagOnFailover());
        return FailoverRanking.rank(new ArrayList<>(byName.values()), policy);
    }
}
