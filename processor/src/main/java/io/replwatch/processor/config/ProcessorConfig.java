package io.replwatch.processor.config;

import io.replwatch.common.ConfigNode;
import io.replwatch.common.Durations;
import io.replwatch.processor.health.Thresholds;
import io.replwatch.processor.config.TopologySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The processor's configuration (YAML, {@code ${ENV}} substitution, every problem listed at once).
 *
 * <pre>
 * application_id: replwatch-processor   # Kafka Streams application.id (consumer group, state, internal topics)
 * http_port: 9188                       # /api/v1/..., /metrics, /health; 0 = any free port
 * advertised_url: http://proc-1:9188    # how other instances reach this one (default http://host:port)
 * state_dir: /var/lib/replwatch/streams
 * num_stream_threads: 2                 # default: the machine's cores
 * state_store: memory                   # memory (default) or rocksdb; both are backed by changelog topics
 * partitions: 6                         # for topics replwatch creates when missing
 * kafka: {bootstrap.servers: kafka:9092}   # any Streams / client property, passed through
 * schema_registry: {url: http://registry:8081}
 * grace: 10s
 * wal_windows: [1m, 1h]
 * lag_window: 60s
 * history_retention: 1h
 * punctuate_interval: 1s
 * stale_intervals: 3
 * stale_min: 15s
 * failover_hold: 5m
 * node_health_every: 30s
 * conflicts_window: 5m
 * rules:                                # any rule: warning, critical, for, clear_for
 *   LAG_TIME: {warning: 60s, critical: 300s, for: 30s, clear_for: 15s}
 *   LAG_BYTES: {warning: 256MiB, critical: 1GiB}
 * clusters:                             # per-cluster overrides of rules
 *   orders-eu: {rules: {LAG_TIME: {warning: 10s}}}
 * </pre>
 */
public record ProcessorConfig(
        String applicationId,
        int httpPort,
        String advertisedUrl,
        Path stateDir,
        int streamThreads,
        StoreKind stateStore,
        int partitions,
        Map<String, String> kafka,
        Map<String, String> registry,
        TopologySettings topology) {

    private static final Set<String> TOP = Set.of("application_id", "http_port", "advertised_url", "state_dir",
            "num_stream_threads", "state_store", "partitions", "kafka", "schema_registry", "grace", "wal_windows", "lag_window",
            "history_retention", "punctuate_interval", "stale_intervals", "stale_min", "failover_hold",
            "node_health_every", "conflicts_window", "rules", "clusters");
    private static final Pattern SIZE = Pattern.compile("(?i)^\\s*(\\d+(?:\\.\\d+)?)\\s*(b|kb|kib|mb|mib|gb|gib|tb|tib)?\\s*$");

    public static ProcessorConfig load(final Path file) {
        return from(ConfigNode.load(file, System::getenv));
    }

    public static ProcessorConfig parse(final String yaml, final Function<String, String> env) {
        return from(ConfigNode.parse(yaml, "(inline)", env));
    }

    public static ProcessorConfig from(final ConfigNode root) {
        root.allowOnly(TOP);
        final String appId = root.string("application_id", "replwatch-processor");
        final int port = root.integer("http_port", 9188, 0, 65535);
        final String advertised = root.string("advertised_url", null);
        final Path stateDir = Path.of(root.string("state_dir",
                Path.of(System.getProperty("java.io.tmpdir"), "replwatch-streams").toString()));
        final int threads = root.integer("num_stream_threads",
                Math.min(64, Runtime.getRuntime().availableProcessors()), 1, 64);
        StoreKind store = StoreKind.MEMORY;
        final String storeName = root.string("state_store", "memory");
        try {
            store = StoreKind.valueOf(storeName.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            root.problem("state_store", "must be memory or rocksdb, not '" + storeName + "'");
        }
        final int partitions = root.integer("partitions", 6, 1, 10_000);
        final ConfigNode.KafkaSections sections = root.kafkaSections();
        final TopologySettings d = TopologySettings.defaults();
        final List<Duration> windows = new ArrayList<>();
        if (root.has("wal_windows")) {
            for (final String w : root.stringList("wal_windows")) {
                try {
                    windows.add(Durations.parse(w.trim()));
                } catch (final IllegalArgumentException e) {
                    root.problem("wal_windows", e.getMessage());
                }
            }
        } else {
            windows.addAll(d.walWindows());
        }
        final Map<String, Thresholds.RuleSettings> global = rules(root.child("rules"), Map.of());
        final Map<String, Map<String, Thresholds.RuleSettings>> perCluster = new HashMap<>();
        final ConfigNode clusters = root.child("clusters");
        for (final String cluster : fieldNames(clusters)) {
            final ConfigNode c = clusters.child(cluster);
            c.allowOnly(Set.of("rules"));
            perCluster.put(cluster, rules(c.child("rules"), global));
        }
        final TopologySettings topology = new TopologySettings(windows,
                root.duration("grace", d.grace(), Duration.ZERO),
                root.duration("lag_window", d.lagWindow(), Duration.ofSeconds(1)),
                root.duration("history_retention", d.historyRetention(), Duration.ofMinutes(1)),
                root.duration("punctuate_interval", d.punctuateInterval(), Duration.ofMillis(100)),
                root.integer("stale_intervals", d.staleIntervals(), 1, 1000),
                root.duration("stale_min", d.staleMin(), Duration.ofMillis(100)),
                root.duration("failover_hold", d.failoverHold(), Duration.ZERO),
                root.duration("node_health_every", d.nodeHealthEvery(), Duration.ofSeconds(1)),
                root.duration("conflicts_window", d.conflictsWindow(), Duration.ofSeconds(1)),
                new Thresholds(global, perCluster));
        root.throwIfProblems();
        return new ProcessorConfig(appId, port, advertised, stateDir, threads, store, partitions, sections.kafka(),
                sections.registry(), topology);
    }

    private static List<String> fieldNames(final ConfigNode node) {
        final List<String> names = new ArrayList<>();
        node.stringKeys().forEach(names::add);
        return names;
    }

    private static Map<String, Thresholds.RuleSettings> rules(final ConfigNode rules,
                                                             final Map<String, Thresholds.RuleSettings> base) {
        rules.allowOnly(Thresholds.ruleNames());
        final Map<String, Thresholds.RuleSettings> out = new HashMap<>(base);
        for (final String rule : fieldNames(rules)) {
            if (!Thresholds.ruleNames().contains(rule)) {
                continue;
            }
            final ConfigNode r = rules.child(rule);
            r.allowOnly(Set.of("warning", "critical", "for", "clear_for"));
            final Thresholds.RuleSettings current = out.getOrDefault(rule, Thresholds.defaultFor(rule));
            out.put(rule, current.with(amount(r, "warning"), amount(r, "critical"),
                    r.duration("for", null, Duration.ZERO), r.duration("clear_for", null, Duration.ZERO)));
        }
        return out;
    }

    /** A threshold: a duration (to ms), a size (to bytes: 256MiB, 1GB), or a plain number (count, ratio). */
    static Double amount(final ConfigNode r, final String key) {
        final String v = r.string(key, null);
        if (v == null) {
            return null;
        }
        final Matcher m = SIZE.matcher(v);
        if (m.matches()) {
            final double n = Double.parseDouble(m.group(1));
            final String unit = m.group(2) == null ? "" : m.group(2).toLowerCase();
            return n * switch (unit) {
                case "kb", "kib" -> 1024d;
                case "mb", "mib" -> 1024d * 1024;
                case "gb", "gib" -> 1024d * 1024 * 1024;
                case "tb", "tib" -> 1024d * 1024 * 1024 * 1024;
                default -> 1d;
            };
        }
        try {
            return (double) Durations.parse(v).toMillis();
        } catch (final IllegalArgumentException e) {
            r.problem(key, "must be a duration (60s), a size (256MiB) or a number (got '" + v + "')");
            return null;
        }
    }
}
