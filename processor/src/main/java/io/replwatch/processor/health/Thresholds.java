package io.replwatch.processor.health;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-rule settings: warning and critical thresholds (in the rule's base unit, {@link ThresholdUnit}: ms, bytes,
 * count, ratio), the enter duration {@code for} and the clear duration {@code clear_for}. Defaults are declared with
 * each rule in {@link Rules#ALL}; a cluster may override any of them.
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

    /** Each rule's defaults, from its declaration in {@link Rules#ALL}. */
    private static final Map<String, RuleSettings> DEFAULTS = new HashMap<>();

    static {
        for (final Rules.Rule r : Rules.ALL) {
            DEFAULTS.put(r.code(), r.defaults());
        }
    }

    private final Map<String, RuleSettings> global;
    private final Map<String, Map<String, RuleSettings>> perCluster;
    /** Every rule's settings in {@link Rules#ALL}'s order: for clusters without overrides, and per cluster with. */
    private final RuleSettings[] resolved;
    private final Map<String, RuleSettings[]> resolvedPerCluster = new java.util.concurrent.ConcurrentHashMap<>();

    public Thresholds(final Map<String, RuleSettings> global, final Map<String, Map<String, RuleSettings>> perCluster) {
        this.global = global;
        this.perCluster = perCluster;
        this.resolved = resolve(null);
    }

    private RuleSettings[] resolve(final String cluster) {
        final RuleSettings[] all = new RuleSettings[Rules.ALL.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = get(cluster, Rules.ALL.get(i).code());
        }
        return all;
    }

    /**
     * Every rule's settings for {@code cluster}, in {@link Rules#ALL}'s order (what {@link #get} gives, rule by
     * rule): one lookup per sample instead of three per rule.
     */
    public RuleSettings[] forCluster(final String cluster) {
        if (!perCluster.containsKey(cluster)) {
            return resolved;
        }
        return resolvedPerCluster.computeIfAbsent(cluster, this::resolve);
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
        final Map<String, RuleSettings> c = cluster == null ? null : perCluster.get(cluster);
        if (c != null && c.containsKey(rule)) {
            return c.get(rule);
        }
        return global.getOrDefault(rule, DEFAULTS.get(rule));
    }
}
