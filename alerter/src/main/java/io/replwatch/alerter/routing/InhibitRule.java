package io.replwatch.alerter.routing;

import io.replwatch.alerter.model.Alert;
import java.util.Collection;
import java.util.List;

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
     * The defaults every fleet wants: a node that is DOWN (unreachable) mutes its own lag, replay, receiver, slot,
     * conflict and missing-standby alerts (one page about the cause, not six about symptoms); a FAILOVER in progress mutes its
     * cluster's STANDBY_MISSING (the old primary's standbys reconnect to the new one); an unreachable node mutes its
     * cluster's UPSTREAM_DOWN (the standbys streaming from it, the primary's or a cascade's: the processor raises
     * UPSTREAM_DOWN only for a standby whose upstream is DOWN and clears it when the upstream is back, so the page is
     * the upstream's); a SWITCHOVER mutes what a FAILOVER does; Patroni's maintenance mode (PATRONI_PAUSED) mutes its
     * cluster's outages ({@link #PAUSE_MUTES}).
     */
    public static List<InhibitRule> defaults() {
        return List.of(
                new InhibitRule(List.of(Matcher.parse("severity=\"DOWN\"")),
                        List.of(Matcher.parse("rule=~\"LAG_.*|REPLAY_.*|RECEIVER_DISCONNECTED|SLOT_.*|CONFLICTS|SAMPLES_STALE"
                                + "|STANDBY_MISSING|SYNC_STANDBY_MISSING\"")),
                        List.of("cluster", "node")),
                new InhibitRule(List.of(Matcher.parse("rule=~\"FAILOVER|SWITCHOVER\"")),
                        List.of(Matcher.parse("rule=~\"STANDBY_MISSING|SYNC_STANDBY_MISSING\"")),
                        List.of("cluster")),
                new InhibitRule(List.of(Matcher.parse("rule=\"NODE_UNREACHABLE\"")),
                        List.of(Matcher.parse("rule=\"UPSTREAM_DOWN\"")),
                        List.of("cluster")),
                new InhibitRule(List.of(Matcher.parse("rule=\"PATRONI_PAUSED\"")),
                        List.of(Matcher.parse("rule=~\"" + PAUSE_MUTES + "\"")),
                        List.of("cluster")));
    }

    /**
     * What Patroni's maintenance mode mutes in its cluster: outages and what follows from them (nodes stopped, standbys
     * not streaming, no leader, no failover candidate). Not what risks data: slot retention, the xmin horizon,
     * archiving, split brain.
     */
    static final String PAUSE_MUTES = "NODE_UNREACHABLE|SAMPLES_STALE|UPSTREAM_DOWN|RECEIVER_DISCONNECTED|STANDBY_MISSING"
            + "|SYNC_STANDBY_MISSING|SYNC_DEGRADED|REPLAY_.*|LAG_.*|PATRONI_LEADERLESS|NO_FAILOVER_CANDIDATE|PENDING_RESTART"
            + "|FAILOVER|SWITCHOVER";

    /** Whether this rule could mute {@code a} (it matches the target matchers). */
    public boolean targets(final Alert a) {
        return Matcher.all(target, a.labels());
    }

    /** Whether {@code a} mutes others under this rule while it fires. */
    public boolean sources(final Alert a) {
        return a.firing() && Matcher.all(source, a.labels());
    }

    /** The values of the {@code equal} labels, as one key (absent = empty, as in Alertmanager). */
    public String equalKey(final Alert a) {
        final StringBuilder b = new StringBuilder();
        for (final String l : equal) {
            b.append(a.labels().getOrDefault(l, "")).append('\u0000');
        }
        return b.toString();
    }

    /**
     * True when some firing alert in {@code active} inhibits {@code targetAlert} under this rule. The dispatcher
     * answers the same question from an index built with {@link #sources} and {@link #equalKey}.
     */
    public boolean inhibits(final Alert targetAlert, final Collection<Alert> active) {
        if (!targets(targetAlert)) {
            return false;
        }
        final String key = equalKey(targetAlert);
        for (final Alert s : active) {
            if (sources(s) && !s.fingerprint().equals(targetAlert.fingerprint()) && equalKey(s).equals(key)) {
                return true;
            }
        }
        return false;
    }
}
