package io.replwatch.alerter.routing;

import io.replwatch.alerter.model.Alert;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Alertmanager's inhibition: a firing alert matching {@code source} mutes alerts matching {@code target} that
 * carry the same values for every label in {@code equal} (absent counts as a value). An alert never inhibits
 * itself.
 */
public record InhibitRule(List<Matcher> source, List<Matcher> target, List<String> equal) {

    public InhibitRule {
        source = List.copyOf(source);
        target = List.copyOf(target);
        equal = List.copyOf(equal);
    }

    /**
     * The defaults every fleet wants: a node that is DOWN (unreachable) mutes its own lag, replay, receiver, slot
     * and conflict alerts (one page about the cause, not six about symptoms); a FAILOVER in progress mutes its
     * cluster's STANDBY_MISSING (the old primary's standbys reconnect to the new one).
     */
    public static List<InhibitRule> defaults() {
        return List.of(
                new InhibitRule(List.of(Matcher.parse("severity=\"DOWN\"")),
                        List.of(Matcher.parse("rule=~\"LAG_.*|REPLAY_.*|RECEIVER_DISCONNECTED|SLOT_.*|CONFLICTS|SAMPLES_STALE\"")),
                        List.of("cluster", "node")),
                new InhibitRule(List.of(Matcher.parse("rule=\"FAILOVER\"")),
                        List.of(Matcher.parse("rule=~\"STANDBY_MISSING|SYNC_STANDBY_MISSING\"")),
                        List.of("cluster")));
    }

    /** True when some firing alert in {@code active} inhibits {@code target} under this rule. */
    public boolean inhibits(final Alert targetAlert, final Collection<Alert> active) {
        if (!Matcher.all(target, targetAlert.labels())) {
            return false;
        }
        for (final Alert s : active) {
            if (!s.firing() || s.fingerprint().equals(targetAlert.fingerprint())
                    || !Matcher.all(source, s.labels())) {
                continue;
            }
            boolean same = true;
            for (final String l : equal) {
                if (!Objects.equals(s.labels().get(l), targetAlert.labels().get(l))) {
                    same = false;
                    break;
                }
            }
            if (same) {
                return true;
            }
        }
        return false;
    }
}
