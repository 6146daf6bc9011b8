package io.replwatch.processor.topology;

import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.NodeHealth;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.health.Finding;
import io.replwatch.processor.health.HealthEvaluator;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.health.RuleTracker;
import io.replwatch.processor.health.Rules;
import io.replwatch.processor.health.Severity;
import io.replwatch.processor.state.NodeState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Stage: the rules and what follows from them. Runs every rule over a node's view through its trackers
 * ({@code for} / {@code clear_for}), publishes a {@link HealthTransition} when the node's state or its set of firing
 * rules changed (with a deterministic id, so receivers can drop duplicates), and publishes the node's
 * {@link NodeHealth} on every transition and at least every {@code node_health_every} otherwise.
 */
final class HealthStage {

    private final TopologySettings settings;
    private final Outputs out;

    HealthStage(final TopologySettings settings, final Outputs out) {
        this.settings = settings;
        this.out = out;
    }

    /** Evaluates {@code view} at event time {@code t}; {@code wall} paces the NodeHealth refresh. */
    void evaluate(final NodeView view, final long t, final NodeState ns, final long wall) {
        final HealthEvaluator.Outcome outcome = HealthEvaluator.evaluate(view, settings.thresholds(), ns.trackers, t);
        publish(ns, outcome.firing(), outcome.state(), t, wall);
    }

    /**
     * {@code upstream} has just left DOWN: a standby of its cluster whose UPSTREAM_DOWN names it drops that rule now,
     * in the same step as the upstream's own transition, rather than at its own next sample a poll later (until
     * which the alerter, its inhibition lifted with the upstream's NODE_UNREACHABLE, would page for it). True when
     * {@code other} changed and must be saved.
     */
    boolean upstreamBack(final String cluster, final String upstream, final NodeState other, final long t,
                         final long wall) {
        if (!cluster.equals(other.cluster) || upstream.equals(other.node)) {
            return false;
        }
        final RuleTracker tr = other.trackers.get(Rules.UPSTREAM_DOWN);
        if (tr == null || !tr.firing || tr.current == null || !upstream.equals(Rules.upstreamNamed(tr.current))) {
            return false;
        }
        other.trackers.remove(Rules.UPSTREAM_DOWN);
        final List<Finding> firing = currentFindings(other);
        HealthState state = HealthState.HEALTHY;
        for (final Finding f : firing) {
            state = Severity.worst(state, f.severity());
        }
        publish(other, firing, state, other.lastSampleAt == null ? t : Math.max(t, other.lastSampleAt), wall);
        return true;
    }

    /** Records the node's new state and firing rules; publishes a transition when they changed, and node health. */
    private void publish(final NodeState ns, final List<Finding> firing, final HealthState to, final long t,
                         final long wall) {
        final List<String> rules = firing.isEmpty() ? List.of() : firing.stream().map(Finding::rule).toList();
        final HealthState from = ns.state;
        // Rule codes are unique in both lists: same size and one containing the other is set equality.
        final boolean changed = from != to || rules.size() != ns.firingRules.size()
                || !ns.firingRules.containsAll(rules);
        if (from != to) {
            ns.stateSince = t;
        }
        ns.state = to;
        final List<String> cleared = changed ? new ArrayList<>(ns.firingRules) : List.of();
        if (changed) {
            cleared.removeAll(rules);
        }
        if (!rules.equals(ns.firingRules)) {
            // Changed, or the same rules in another order (kept in the order the rules gave them).
            ns.firingRules = new ArrayList<>(rules);
        }
        final String key = Names.nodeKey(ns);
        if (changed) {
            out.transition(ns.cluster, HealthTransition.newBuilder()
                    .setId(transitionId(key, t, from, to, rules))
                    .setCluster(ns.cluster)
                    .setNode(ns.node)
                    .setFromState(from)
                    .setToState(to)
                    .setAt(Instant.ofEpochMilli(t))
                    .setReasons(reasons(firing, ns))
                    .setCleared(cleared)
                    .setRole(ns.roleName())
                    .setLabels(ns.labels)
                    .build(), t);
        }
        // The queryable store and the compacted topic follow every transition, and refresh lag figures at least
        // every node_health_every: writing them on every sample would double the topology's cost.
        if (changed || ns.healthEmittedWall == null || wall - ns.healthEmittedWall >= settings.nodeHealthEvery().toMillis()) {
            ns.healthEmittedWall = wall;
            out.nodeHealth(key, nodeHealth(ns, t), t);
        }
    }

    /**
     * A node that left its cluster (a Patroni member its collector no longer polls): every rule still firing ends with
     * one transition to UNKNOWN, so that its alerts resolve, before it is forgotten.
     */
    void retire(final NodeState ns, final long t, final long wall) {
        ns.trackers.clear();
        if (!ns.firingRules.isEmpty()) {
            publish(ns, List.of(), io.replwatch.avro.HealthState.UNKNOWN, t, wall);
        }
        forget(ns);
    }

    /** A forgotten node: its node-health record is deleted (a tombstone on the compacted topic). */
    void forget(final NodeState ns) {
        out.nodeHealth(Names.nodeKey(ns), null,
                ns.lastSampleAt == null ? 0 : ns.lastSampleAt);
    }

    /** The same node, time, states and rules always give the same id: a replayed transition is recognisable. */
    static String transitionId(final String nodeKey, final long t, final HealthState from, final HealthState to,
                               final List<String> rules) {
        return UUID.nameUUIDFromBytes((nodeKey + "|" + t + "|" + from + "|" + to + "|"
                + String.join(",", rules.stream().sorted().toList())).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static List<HealthReason> reasons(final List<Finding> firing, final NodeState ns) {
        final List<HealthReason> reasons = new ArrayList<>(firing.size());
        for (final Finding f : firing) {
            final RuleTracker tracker = ns.trackers.get(f.rule());
            final Long since = tracker == null ? null : tracker.firedAt != null ? tracker.firedAt : tracker.pendingSince;
            reasons.add(HealthReason.newBuilder()
                    .setRule(f.rule())
                    .setSeverity(f.severity())
                    .setMessage(f.message())
                    .setValue(f.value())
                    .setThreshold(f.threshold())
                    .setUnit(f.unit())
                    .setSince(since == null ? null : Instant.ofEpochMilli(since))
                    .build());
        }
        return reasons;
    }

    /** The firing findings, from the trackers (in rule order). */
    private static List<Finding> currentFindings(final NodeState ns) {
        final List<Finding> firing = new ArrayList<>();
        for (final Rules.Rule r : Rules.ALL) {
            final RuleTracker tr = ns.trackers.get(r.code());
            if (tr != null && tr.firing && tr.current != null) {
                firing.add(tr.current);
            }
        }
        return firing;
    }

    private static NodeHealth nodeHealth(final NodeState ns, final long t) {
        return NodeHealth.newBuilder()
                .setCluster(ns.cluster)
                .setNode(ns.node)
                .setRole(ns.roleName())
                .setState(ns.state)
                .setSince(Instant.ofEpochMilli(ns.stateSince == null ? t : ns.stateSince))
                .setUpdatedAt(Instant.ofEpochMilli(t))
                .setLastSampleAt(ns.lastSampleAt == null ? null : Instant.ofEpochMilli(ns.lastSampleAt))
                .setReasons(reasons(currentFindings(ns), ns))
                .setReplayLagBytes(ns.replayLagBytes)
                .setTimeLagMs(ns.timeLagMs)
                .setTrend(ns.trend)
                .setTimeline(ns.timeline)
                .setLabels(ns.labels)
                .setFailover(failoverCheck(ns, t))
                .build();
    }

    /** A primary's failover readiness as published (null on a standby, or before its first good sample). */
    static io.replwatch.avro.FailoverCheck failoverCheck(final NodeState ns, final long t) {
        final io.replwatch.processor.health.FailoverRanking.Result r = ns.failover;
        if (r == null || ns.role != NodeState.Role.PRIMARY) {
            return null;
        }
        final List<io.replwatch.avro.FailoverCandidate> cands = new ArrayList<>();
        for (final var c : r.ranked()) {
            final var in = c.candidate();
            cands.add(io.replwatch.avro.FailoverCandidate.newBuilder()
                    .setNode(in.node()).setRank(c.rank()).setEligible(c.eligible()).setReasons(c.reasons())
                    .setStreaming(in.streaming()).setSyncState(in.syncState())
                    .setUnreplicatedBytes(in.unreplicatedBytes()).setReplayLagBytes(in.replayLagBytes())
                    .setTimeLagMs(in.timeLagMs()).setTrend(in.trend()).setTimeline(in.timeline())
                    .setNofailover(in.nofailover()).setPatroniLag(in.patroniLag())
                    .build());
        }
        return io.replwatch.avro.FailoverCheck.newBuilder().setPrimary(ns.node)
                .setComputedAt(Instant.ofEpochMilli(ns.failoverComputedAt == null ? t : ns.failoverComputedAt))
                .setPick(r.pick()).setWhy(r.why()).setPolicy(r.policy()).setCandidates(cands).build();
    }
}
