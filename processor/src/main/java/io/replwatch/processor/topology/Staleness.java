package io.replwatch.processor.topology;

import io.replwatch.processor.state.NodeState;

/**
 * Stage, on wall-clock time: nodes whose samples stopped arriving. Stream time does not move on an idle
 * partition, so a punctuator asks every node of the task how long it has been silent; a node silent longer than
 * its stale limit is evaluated once more as stale (SAMPLES_STALE) at its last event time plus the silence, and its
 * open WAL windows are closed.
 */
final class Staleness {

    private final TaskState state;
    private final NodeViews views;
    private final HealthStage health;
    private final WalWindows wal;

    Staleness(final TaskState state, final NodeViews views, final HealthStage health, final WalWindows wal) {
        this.state = state;
        this.views = views;
        this.health = health;
        this.wal = wal;
    }

    void punctuate(final long wall) {
        for (final NodeState ns : state.nodes()) {
            if (ns.lastSeenWall == null || ns.stale) {
                continue;
            }
            final long silent = wall - ns.lastSeenWall;
            if (silent > views.staleAfter(ns)) {
                ns.stale = true;
                // Event time advanced by the silence, so that trackers and transitions move on too.
                final long t = ns.lastSampleAt + silent;
                health.evaluate(views.stale(ns, silent), t, ns, wall);
                wal.closeDue(ns, t);
                state.saveNode(ns);
            }
        }
    }
}
