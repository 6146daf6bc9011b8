package io.replwatch.processor.topology;

import io.replwatch.processor.state.NodeState;

/**
 * Stage, on wall-clock time: nodes whose samples stopped arriving. Stream time does not move on an idle
 * partition, so a punctuator asks every node of the task how long it has been silent; a node silent longer than
 * its stale limit is evaluated once more as stale (SAMPLES_STALE) at its last event time plus the silence, and its
 * open WAL and lag windows are closed. A node silent for {@code node_retention} is forgotten: a node removed from the
 * collectors' configuration must not stay UNKNOWN on the status page and the API for ever. A node whose collector
 * sends heartbeats waits up to the takeover time for another collector, and longer while its collector is known
 * gone with nobody polling its cluster (one COLLECTOR_DOWN then speaks for all its nodes).
 */
final class Staleness {

    private final TaskState state;
    private final NodeViews views;
    private final HealthStage health;
    private final WalWindows wal;
    private final LagWindows lagWindows;
    private final long retentionMs;
    private final CollectorStatuses collectors;

    Staleness(final TaskState state, final NodeViews views, final HealthStage health, final WalWindows wal,
              final LagWindows lagWindows, final java.time.Duration retention, final CollectorStatuses collectors) {
        this.collectors = collectors;
        this.state = state;
        this.views = views;
        this.health = health;
        this.wal = wal;
        this.lagWindows = lagWindows;
        this.retentionMs = retention.toMillis();
    }

    void punctuate(final long wall) {
        final java.util.List<NodeState> forgotten = new java.util.ArrayList<>();
        CollectorStatuses.Pass pass = null;
        for (final NodeState ns : state.nodes()) {
            if (ns.lastSeenWall == null) {
                continue;
            }
            final long silent = wall - ns.lastSeenWall;
            if (silent > retentionMs) {
                forgotten.add(ns);
                continue;
            }
            if (ns.stale) {
                continue;
            }
            if (silent > views.staleAfter(ns)) {
                pass = pass == null ? collectors.pass() : pass;
                if (pass.holds(ns, silent)) {
                    continue; // its collector is gone: another takes over, or COLLECTOR_DOWN speaks for it
                }
                ns.stale = true;
                // Event time advanced by the silence, so that trackers and transitions move on too.
                final long t = ns.lastSampleAt + silent;
                health.evaluate(views.stale(ns, silent), t, ns, wall);
                wal.closeDue(ns, t);
                lagWindows.closeDue(ns, t);
                state.saveNode(ns);
            }
        }
        for (final NodeState ns : forgotten) {
            state.forget(ns);
            health.forget(ns);
        }
    }
}
