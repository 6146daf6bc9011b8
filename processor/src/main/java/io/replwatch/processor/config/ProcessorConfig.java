package io.replwatch.processor.config;

import io.replwatch.runtime.config.ConfigKey;
import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.runtime.ops.OpsServer;
import io.replwatch.runtime.config.Durations;
import io.replwatch.processor.health.Rules;
import io.replwatch.processor.health.ThresholdUnit;
import io.replwatch.processor.health.Thresholds;
import io.replwatch.processor.config.TopologySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The processor's configuration (YAML, {@code ${ENV}} substitution, every problem listed at once). Every key is
 * declared once, in {@link #KEYS} (its default, bounds and description); the README's key table is that list
 * ({@code ProcessorConfigTest} checks it), and the rules' thresholds are declared with the rules
 * ({@code health.Rules#ALL}: each rule's unit and defaults).
 *
 * <pre>
 * application_id: replwatch-processor
 * kafka: {bootstrap.servers: kafka:9092}
 * schema_registry: {url: http://registry:8081}
 * rules:                                # any rule: warning, critical (in the rule's unit), for, clear_for
 *   LAG_TIME: {warning: 60s, critical: 300s, for: 30s, clear_for: 15s}
 *   LAG_BYTES: {warning: 256MB, critical: 1GB}
 * clusters:                             # per-cluster overrides of rules
 *   orders-eu: {rules: {LAG_TIME: {warning: 10s}}}
 * </pre>
 */
public record ProcessorConfig(
        String applicationId,
        int httpPort,
        String httpBind,
        String advertisedUrl,
        Path stateDir,
        int streamThreads,
        int standbyReplicas,
        StoreKind stateStore,
        int partitions,
        Map<String, String> kafka,
        Map<String, String> registry,
        TopologySettings topology) {

    private static final TopologySettings D = TopologySettings.defaults();
    private static final int CORES = Math.min(64, Runtime.getRuntime().availableProcessors());

    static final ConfigKey<String> APPLICATION_ID = ConfigKey.string("application_id", "replwatch-processor",
            "Kafka Streams application.id: its consumer group, state directory and internal topics");
    static final ConfigKey<Integer> HTTP_PORT = ConfigKey.integer("http_port", 9188, 0, 65535,
            "port of `/api/v1/...`, `/metrics` and `/health` (0: any free port)");
    static final ConfigKey<String> HTTP_BIND = OpsServer.BIND;
    static final ConfigKey<String> ADVERTISED_URL = ConfigKey.string("advertised_url", null,
            "how other instances reach this one's API (default `http://<host>:<http_port>`)");
    static final ConfigKey<String> STATE_DIR = ConfigKey.of("state_dir",
            Path.of(System.getProperty("java.io.tmpdir"), "replwatch-streams").toString(), "<java.io.tmpdir>/replwatch-streams",
            "Kafka Streams' state directory", ConfigNode::string);
    static final ConfigKey<Integer> NUM_STREAM_THREADS = ConfigKey.integer("num_stream_threads", CORES, "the machine's cores",
            1, 64, "stream threads in this instance");
    static final ConfigKey<Integer> NUM_STANDBY_REPLICAS = ConfigKey.integer("num_standby_replicas", 1, 0, 3,
            "copies of each task's state kept warm on other instances of the same application_id: when an instance "
            + "dies, another takes its partitions over from its copy instead of replaying their changelogs. With one "
            + "instance there is nowhere to keep one, and it costs nothing; each copy costs its instance the reading of "
            + "the changelogs it follows");
    static final ConfigKey<StoreKind> STATE_STORE = ConfigKey.of("state_store", StoreKind.MEMORY, "memory",
            "`memory` or `rocksdb`: where the state stores live between changelog writes", ProcessorConfig::storeKind);
    static final ConfigKey<Integer> PARTITIONS = ConfigKey.integer("partitions", 6, 1, 10_000,
            "partitions of the topics replwatch creates when they are missing");
    static final ConfigKey<Void> KAFKA = ConfigKey.section("kafka",
            "Kafka Streams and client properties, passed through (`bootstrap.servers` required)");
    static final ConfigKey<Void> SCHEMA_REGISTRY = ConfigKey.section("schema_registry",
            "`url` and Confluent's serde keys (basic auth, TLS)");
    static final ConfigKey<Duration> GRACE = ConfigKey.duration("grace", D.grace(), Duration.ZERO,
            "how long a window stays open for late samples (event time)");
    static final ConfigKey<List<Duration>> WAL_WINDOWS = ConfigKey.of("wal_windows", D.walWindows(), "[1m, 1h]",
            "tumbling window sizes of WAL throughput", ProcessorConfig::durations);
    static final ConfigKey<Duration> LAG_WINDOW = ConfigKey.duration("lag_window", D.lagWindow(), Duration.ofSeconds(1),
            "the sliding window behind lag rates and trends");
    static final ConfigKey<Duration> HISTORY_RETENTION = ConfigKey.duration("history_retention", D.historyRetention(),
            Duration.ofMinutes(1), "how much of a primary's (time, LSN) history is kept for true time lag");
    static final ConfigKey<Duration> PUNCTUATE_INTERVAL = ConfigKey.duration("punctuate_interval", D.punctuateInterval(),
            Duration.ofMillis(100), "how often silent nodes are looked for (wall clock)");
    static final ConfigKey<Integer> STALE_INTERVALS = ConfigKey.integer("stale_intervals", D.staleIntervals(), 1, 1000,
            "a node is stale after this many of its poll intervals without a sample");
    static final ConfigKey<Duration> STALE_MIN = ConfigKey.duration("stale_min", D.staleMin(), Duration.ofMillis(100),
            "... and never sooner than this");
    static final ConfigKey<Duration> FAILOVER_HOLD = ConfigKey.duration("failover_hold", D.failoverHold(), Duration.ZERO,
            "how long FAILOVER stays firing on a new primary");
    static final ConfigKey<Duration> NODE_HEALTH_EVERY = ConfigKey.duration("node_health_every", D.nodeHealthEvery(),
            Duration.ofSeconds(1), "a node's NodeHealth is re-published at least this often, besides every transition");
    static final ConfigKey<Duration> CONFLICTS_WINDOW = ConfigKey.duration("conflicts_window", D.conflictsWindow(),
            Duration.ofSeconds(1), "recovery conflicts are counted over this window");
    static final ConfigKey<Duration> NODE_RETENTION = ConfigKey.duration("node_retention", D.nodeRetention(),
            Duration.ofMinutes(1), "a node silent this long is forgotten: its state and node-health record are deleted "
                    + "(a node removed from the collectors' configuration does not stay UNKNOWN for ever)");
    static final ConfigKey<Duration> CLOCK_SKEW_WINDOW = ConfigKey.duration("clock_skew_window", D.clockSkewWindow(),
            Duration.ofSeconds(1), "a sample dated further ahead of the processor's clock, whose collector's clock "
                    + "jumped back further, or whose collector disagrees further with PostgreSQL's clock (a steadily "
                    + "slow collector) raises CLOCK_SKEW and is taken at the processor's or PostgreSQL's time");
    static final ConfigKey<Duration> COLLECTOR_TAKEOVER = ConfigKey.duration("collector_takeover", D.collectorTakeover(),
            Duration.ofSeconds(1), "a node whose collector stopped, or gave its cluster to another collector, waits this "
                    + "long for another collector before it counts as stale; a stopped collector whose clusters nobody "
                    + "polls then raises one COLLECTOR_DOWN, not a SAMPLES_STALE per node (at least the collectors' "
                    + "targets.session_timeout plus a poll interval)");
    static final ConfigKey<Duration> LAG_RATE_WINDOW = ConfigKey.duration("lag_rate_window", D.lagRateWindow(),
            Duration.ZERO, "the tumbling window of replwatch.lag-rates: one record per standby and logical slot per window "
                    + "(lag at its end, min and max, rates over it, trend, ETA); `0s` publishes one per sample. Rules and "
                    + "transitions run on every sample either way");
    static final ConfigKey<Void> RULES = ConfigKey.section("rules",
            "per rule: `warning`, `critical` (in the rule's unit, see the rule table), `for`, `clear_for`");
    static final ConfigKey<Void> CLUSTERS = ConfigKey.section("clusters", "per cluster: `rules`, overriding the above");

    /** Every key of the processor's configuration, in the order the README lists them. */
    public static final List<ConfigKey<?>> KEYS = List.of(APPLICATION_ID, HTTP_PORT, HTTP_BIND, ADVERTISED_URL, STATE_DIR,
            NUM_STREAM_THREADS, NUM_STANDBY_REPLICAS, STATE_STORE, PARTITIONS, KAFKA, SCHEMA_REGISTRY, GRACE, WAL_WINDOWS, LAG_WINDOW,
            HISTORY_RETENTION, PUNCTUATE_INTERVAL, STALE_INTERVALS, STALE_MIN, FAILOVER_HOLD, NODE_HEALTH_EVERY,
            CONFLICTS_WINDOW, NODE_RETENTION, CLOCK_SKEW_WINDOW, COLLECTOR_TAKEOVER, LAG_RATE_WINDOW, RULES, CLUSTERS);

    public static ProcessorConfig load(final Path file) {
        return from(ConfigNode.load(file, System::getenv));
    }

    public static ProcessorConfig parse(final String yaml, final Function<String, String> env) {
        return from(ConfigNode.parse(yaml, "(inline)", env));
    }

    public static ProcessorConfig from(final ConfigNode root) {
        root.allowOnly(ConfigKey.names(KEYS));
        final ConfigNode.KafkaSections sections = root.kafkaSections();
        final Map<String, Thresholds.RuleSettings> global = rules(root.child(RULES.name()), Map.of());
        final Map<String, Map<String, Thresholds.RuleSettings>> perCluster = new HashMap<>();
        final ConfigNode clusters = root.child(CLUSTERS.name());
        for (final String cluster : fieldNames(clusters)) {
            final ConfigNode c = clusters.child(cluster);
            c.allowOnly(Set.of(RULES.name()));
            perCluster.put(cluster, rules(c.child(RULES.name()), global));
        }
        final TopologySettings topology = new TopologySettings(WAL_WINDOWS.read(root), GRACE.read(root),
                LAG_WINDOW.read(root), HISTORY_RETENTION.read(root), PUNCTUATE_INTERVAL.read(root),
                STALE_INTERVALS.read(root), STALE_MIN.read(root), FAILOVER_HOLD.read(root), NODE_HEALTH_EVERY.read(root),
                CONFLICTS_WINDOW.read(root), new Thresholds(global, perCluster), NODE_RETENTION.read(root),
                CLOCK_SKEW_WINDOW.read(root), COLLECTOR_TAKEOVER.read(root), LAG_RATE_WINDOW.read(root));
        final ProcessorConfig config = new ProcessorConfig(APPLICATION_ID.read(root), HTTP_PORT.read(root),
                HTTP_BIND.read(root), ADVERTISED_URL.read(root), Path.of(STATE_DIR.read(root)), NUM_STREAM_THREADS.read(root),
                NUM_STANDBY_REPLICAS.read(root), STATE_STORE.read(root), PARTITIONS.read(root), sections.kafka(), sections.registry(), topology);
        root.throwIfProblems();
        return config;
    }

    private static StoreKind storeKind(final ConfigNode node, final String key, final StoreKind dflt) {
        final String name = node.string(key, null);
        if (name == null) {
            return dflt;
        }
        try {
            return StoreKind.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            node.problem(key, "must be memory or rocksdb, not '" + name + "'");
            return dflt;
        }
    }

    private static List<Duration> durations(final ConfigNode node, final String key, final List<Duration> dflt) {
        if (!node.has(key)) {
            return dflt;
        }
        final List<Duration> windows = new ArrayList<>();
        for (final String w : node.stringList(key)) {
            try {
                windows.add(Durations.parse(w.trim()));
            } catch (final IllegalArgumentException | ArithmeticException e) {
                node.problem(key, e.getMessage());
            }
        }
        return windows;
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
        for (final String code : fieldNames(rules)) {
            final Rules.Rule rule = Rules.byCode(code);
            if (rule == null) {
                continue;
            }
            final ConfigNode r = rules.child(code);
            r.allowOnly(rule.unit() == ThresholdUnit.NONE ? Set.of("for", "clear_for")
                    : Set.of("warning", "critical", "for", "clear_for"));
            final Thresholds.RuleSettings current = out.getOrDefault(code, rule.defaults());
            out.put(code, current.with(threshold(r, "warning", rule.unit()), threshold(r, "critical", rule.unit()),
                    r.duration("for", null, Duration.ZERO), r.duration("clear_for", null, Duration.ZERO)));
        }
        return out;
    }

    /** A threshold in the rule's unit ({@link ThresholdUnit}); anything else is a problem that names the unit. */
    static Double threshold(final ConfigNode r, final String key, final ThresholdUnit unit) {
        final String v = r.string(key, null);
        if (v == null || unit == ThresholdUnit.NONE) {
            return null;
        }
        try {
            return unit.parse(v);
        } catch (final IllegalArgumentException e) {
            r.problem(key, e.getMessage());
            return null;
        }
    }
}
