package io.replwatch.processor.health;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-rule settings: warning and critical thresholds (in the rule's unit: ms, bytes, count, ratio), the enter
 * duration {@code for} and the clear duration {@code clear_for}. Defaults follow common practice; a cluster may
 * override any of them.
 */
public final class Thresholds {

    /** One rule's settings. A null threshold turns that level off. */
    public record RuleSettings(Double warning, Double critical, Duration enterFor, Duration clearFor) {
        public RuleSettings with(final Double warning, final Double critical, final Duration enterFor,
                                 final Duration clearFor) {
            return new RuleSettings(warning != null ? warning : this.warning, critical != null ? critical : this.critical,
                    enterFor != null ? enterFor : this.enterFor, clearFor != null ? clearFor : this.clearFor);
        }
    }

    private static final Duration CLEAR = Duration.ofSeconds(15);
    private static final Map<String, RuleSettings> DEFAULTS = new HashMap<>();

    static {
        DEFAULTS.put(Rules.NODE_UNREACHABLE, new RuleSettings(null, null, Duration.ZERO, Duration.ZERO));
        DEFAULTS.put(Rules.MONITORING_FAILED, new RuleSettings(null, null, Duration.ZERO, CLEAR));
        DEFAULTS.put(Rules.SAMPLES_STALE, new RuleSettings(null, null, Duration.ZERO, Duration.ZERO));
        // Time lag: over 60 s WARNING, over 300 s CRITICAL, held 30 s before it fires.
        DEFAULTS.put(Rules.LAG_TIME, new RuleSettings(60_000d, 300_000d, Duration.ofSeconds(30), CLEAR));
        DEFAULTS.put(Rules.LAG_BYTES, new RuleSettings(256d * 1024 * 1024, 1024d * 1024 * 1024, Duration.ofSeconds(30), CLEAR));
        // Stalled replay: WARNING at once, CRITICAL once stalled for 60 s.
        DEFAULTS.put(Rules.REPLAY_STALLED, new RuleSettings(0d, 60_000d, Duration.ZERO, CLEAR));
        DEFAULTS.put(Rules.REPLAY_PAUSED, new RuleSettings(null, null, Duration.ZERO, CLEAR));
        DEFAULTS.put(Rules.RECEIVER_DISCONNECTED, new RuleSettings(null, null, Duration.ZERO, CLEAR));
        DEFAULTS.put(Rules.STANDBY_MISSING, new RuleSettings(null, null, Duration.ofSeconds(10), CLEAR));
        DEFAULTS.put(Rules.SLOT_INACTIVE, new RuleSettings(null, null, Duration.ofSeconds(60), CLEAR));
        // safe_wal_size under 1 GiB: WARNING; wal_status unreserved or lost: CRITICAL.
        DEFAULTS.put(Rules.SLOT_WAL_AT_RISK, new RuleSettings(1024d * 1024 * 1024, null, Duration.ZERO, CLEAR));
        DEFAULTS.put(Rules.CONFLICTS, new RuleSettings(100d, null, Duration.ZERO, Duration.ofMinutes(5)));
        DEFAULTS.put(Rules.SYNC_STANDBY_MISSING, new RuleSettings(null, null, Duration.ZERO, CLEAR));
        // WAL senders or slots in use over 80 % of the maximum.
        DEFAULTS.put(Rules.SENDERS_EXHAUSTED, new RuleSettings(0.8, null, Duration.ZERO, CLEAR));
        DEFAULTS.put(Rules.FAILOVER, new RuleSettings(null, null, Duration.ZERO, Duration.ZERO));
        DEFAULTS.put(Rules.SPLIT_BRAIN, new RuleSettings(null, null, Duration.ZERO, Duration.ZERO));
    }

    private final Map<String, RuleSettings> global;
    private final Map<String, Map<String, RuleSettings>> perCluster;

    public Thresholds(final Map<String, RuleSettings> global, final Map<String, Map<String, RuleSettings>> perCluster) {
        this.global = global;
        this.perCluster = perCluster;
    }

    public static Thresholds defaults() {
        return new Thresholds(Map.of(), Map.of());
    }

    public static RuleSettings defaultFor(final String rule) {
        return DEFAULTS.get(rule);
    }

    public static java.util.Set<String> ruleNames() {
        return DEFAULTS.keySet();
    }

    /** The settings of {@code rule} for {@code cluster}: cluster override, else global override, else default. */
    public RuleSettings get(final String cluster, final String rule) {
        final Map<String, RuleSettings> c = perCluster.get(cluster);
        if (c != null && c.containsKey(rule)) {
            return c.get(rule);
        }
        return global.getOrDefault(rule, DEFAULTS.get(rule));
    }
}
