package io.replwatch.processor.health;

import io.replwatch.avro.HealthState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs every rule over a view, through each rule's tracker, and gives the firing findings and the state. */
public final class HealthEvaluator {

    private HealthEvaluator() {
    }

    /** The outcome: every firing finding (in rule order) and the node's state, the worst of them. */
    public record Outcome(List<Finding> firing, HealthState state) {
    }

    /** Evaluates at time {@code now}; {@code trackers} (rule code to tracker) is updated in place. */
    public static Outcome evaluate(final NodeView view, final Thresholds thresholds,
                                   final Map<String, RuleTracker> trackers, final long now) {
        final List<Finding> firing = new ArrayList<>();
        HealthState state = HealthState.HEALTHY;
        final Thresholds.RuleSettings[] settings = thresholds.forCluster(view.cluster());
        for (int i = 0; i < settings.length; i++) {
            final Rules.Rule rule = Rules.ALL.get(i);
            final Thresholds.RuleSettings s = settings[i];
            final Finding found = rule.check().apply(view, s).orElse(null);
            RuleTracker t = trackers.get(rule.code());
            if (t == null) {
                if (found == null) {
                    continue;
                }
                t = new RuleTracker();
                trackers.put(rule.code(), t);
            }
            if (!t.update(found, s, now)) {
                trackers.remove(rule.code());
                continue;
            }
            if (t.firing) {
                firing.add(t.current);
                state = Severity.worst(state, t.current.severity());
            }
        }
        return new Outcome(firing, state);
    }
}
