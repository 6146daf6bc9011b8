package io.replwatch.processor.health;

/**
 * Hysteresis of one rule on one node (mutable, part of the node's state): a condition must hold for
 * {@code for} before the rule fires, and be gone (or milder) for {@code clear_for} before the rule clears (or its
 * severity drops), so a value hovering at a threshold does not flap. Escalation is immediate.
 */
public final class RuleTracker {

    public Long pendingSince;
    public boolean firing;
    public Long firedAt;
    public Long clearingSince;
    public Long downgradeSince;
    public Finding current;

    /**
     * Feeds one evaluation at time {@code now}. Returns false when the tracker has nothing left to remember
     * (neither pending nor firing) and can be dropped.
     */
    public boolean update(final Finding found, final Thresholds.RuleSettings s, final long now) {
        if (found != null) {
            clearingSince = null;
            if (!firing) {
                if (pendingSince == null) {
                    pendingSince = now;
                }
                current = found;
                if (now - pendingSince >= s.enterFor().toMillis()) {
                    firing = true;
                    firedAt = now;
                }
                return true;
            }
            if (Severity.rank(found.severity()) >= Severity.rank(current.severity())) {
                current = found;
                downgradeSince = null;
            } else {
                if (downgradeSince == null) {
                    downgradeSince = now;
                }
                if (now - downgradeSince >= s.clearFor().toMillis()) {
                    current = found;
                    downgradeSince = null;
                } else {
                    // Keep the worse severity, with the fresh measurement.
                    current = new Finding(found.rule(), current.severity(), found.value(), current.threshold(),
                            found.unit(), found.message());
                }
            }
            return true;
        }
        pendingSince = null;
        downgradeSince = null;
        if (!firing) {
            return false;
        }
        if (clearingSince == null) {
            clearingSince = now;
        }
        if (now - clearingSince >= s.clearFor().toMillis()) {
            firing = false;
            return false;
        }
        return true;
    }
}
