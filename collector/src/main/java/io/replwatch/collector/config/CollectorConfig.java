package io.replwatch.collector.config;

import io.replwatch.runtime.ops.OpsServer;
import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The collector's configuration, read from YAML with {@code ${ENV}} substitution and validated as a whole.
 *
 * <pre>
 * collector_id: collector-eu-1        # default: the host name
 * poll_interval: 5s                   # default 5s, at least 100ms
 * connect_timeout: 3s
 * statement_timeout: 2s               # also the per-poll deadline, with connect_timeout
 * settings_refresh: 60s               # how often replication settings are re-read
 * max_concurrent_polls: 32            # worker threads; a slow node never holds up another
 * topic: replwatch.samples
 * http_port: 9187                     # /metrics and /health; 0 picks a free port, -1 turns it off
 * http_bind: 127.0.0.1                # the listener's address (0.0.0.0 in a container)
 * kafka:                              # Kafka producer properties, passed through
 *   bootstrap.servers: 127.0.0.1:9092
 * schema_registry:                    # serde properties (schema.registry.url is `url` here)
 *   url: http://127.0.0.1:8081
 * defaults:                           # applied to every node unless it says otherwise
 *   user: monitor
 *   password: ${PGPASSWORD}
 * clusters:
 *   - name: orders-eu
 *     labels: {env: prod}
 *     nodes:
 *       - {name: orders-eu-1, host: 10.0.0.1, port: 5432}
 *       - {name: orders-eu-2, host: 10.0.0.2, password_file: /run/secrets/pg, sslmode: verify-full}
 *   - name: billing                   # a Patroni cluster: its members are found in /cluster, not listed
 *     patroni:
 *       endpoints: [http://10.0.1.1:8008, http://10.0.1.2:8008]
 *       username: patroni             # restapi.authentication, if set; password or password_file
 *       password_file: /run/secrets/patroni
 *       ca_file: /etc/ssl/patroni-ca.pem   # for https endpoints with a private CA
 *       timeout: 2s
 *       member_grace: 5m              # a member gone from /cluster is polled this long before it is dropped
 * targets:                            # also (or only) poll the clusters of replwatch.targets this collector is
 *   topic: replwatch.targets          # assigned in the collectors' consumer group: see TargetsSettings
 *   group: replwatch-collectors
 *   session_timeout: 10s              # a collector silent this long loses its clusters to the others
 *   credentials_file: /etc/replwatch/credentials.yaml   # credential name: password, for targets that name one
 * heartbeat_interval: 5s              # replwatch.collectors: alive, and which clusters; 0 turns it off
 * </pre>
 */
public record CollectorConfig(
        String collectorId,
        Duration pollInterval,
        Duration connectTimeout,
        Duration statementTimeout,
        Duration settingsRefresh,
        int maxConcurrentPolls,
        String topic,
        int httpPort,
        String httpBind,
        Map<String, String> kafka,
        Map<String, String> registry,
        List<NodeConfig> nodes,
        List<PatroniConfig> patroni,
        TargetsSettings targets,
        Duration heartbeatInterval) {

    /** A configuration without Patroni clusters. */
    public CollectorConfig(final String collectorId, final Duration pollInterval, final Duration connectTimeout,
                           final Duration statementTimeout, final Duration settingsRefresh, final int maxConcurrentPolls,
                           final String topic, final int httpPort, final String httpBind, final Map<String, String> kafka,
                           final Map<String, String> registry, final List<NodeConfig> nodes) {
        this(collectorId, pollInterval, connectTimeout, statementTimeout, settingsRefresh, maxConcurrentPolls, topic,
                httpPort, httpBind, kafka, registry, nodes, List.of(), null, Duration.ZERO);
    }

    private static final Set<String> TOP = Set.of("collector_id", "poll_interval", "connect_timeout",
            "statement_timeout", "settings_refresh", "max_concurrent_polls", "topic", "http_port", "http_bind", "kafka",
            "schema_registry", "defaults", "clusters", "targets", "heartbeat_interval");
    private static final Set<String> NODE_KEYS = Set.of("name", "host", "port", "database", "user", "password",
            "password_file", "sslmode", "sslrootcert", "sslcert", "sslkey", "labels");
    static final Set<String> SSLMODES = Set.of("disable", "allow", "prefer", "require", "verify-ca",
            "verify-full");

    public static CollectorConfig load(final Path file) {
        return from(ConfigNode.load(file, System::getenv));
    }

    public static CollectorConfig parse(final String yaml, final Function<String, String> env) {
        return from(ConfigNode.parse(yaml, "(inline)", env));
    }

    /** Validates everything, then throws {@link io.replwatch.runtime.config.InvalidConfigException} listing every problem. */
    public static CollectorConfig from(final ConfigNode root) {
        root.allowOnly(TOP);
        final String id = root.string("collector_id", defaultCollectorId());
        final Duration interval = root.duration("poll_interval", Duration.ofSeconds(5), Duration.ofMillis(100));
        final Duration connect = root.duration("connect_timeout", Duration.ofSeconds(3), Duration.ofMillis(100));
        final Duration statement = root.duration("statement_timeout", Duration.ofSeconds(2), Duration.ofMillis(50));
        final Duration refresh = root.duration("settings_refresh", Duration.ofSeconds(60), Duration.ofSeconds(1));
        final int workers = root.integer("max_concurrent_polls", 32, 1, 1024);
        final String topic = root.string("topic", Topics.SAMPLES);
        final int httpPort = root.integer("http_port", 9187, -1, 65535);
        final String httpBind = OpsServer.BIND.read(root);

        final ConfigNode.KafkaSections sections = root.kafkaSections();

        final ConfigNode defaults = root.child("defaults");
        defaults.allowOnly(NODE_KEYS);
        final List<NodeConfig> nodes = new ArrayList<>();
        final List<PatroniConfig> patroni = new ArrayList<>();
        final List<ConfigNode> clusters = root.list("clusters");
        final TargetsSettings targets = root.has("targets") ? TargetsSettings.from(root.child("targets")) : null;
        if (clusters.isEmpty() && !root.has("clusters") && targets == null) {
            root.problem("clusters", "is required: at least one cluster with at least one node (or a targets section: "
                    + "the clusters of replwatch.targets this collector is assigned)");
        }
        final Duration heartbeat = root.duration("heartbeat_interval", Duration.ofSeconds(5), Duration.ZERO);
        if (!heartbeat.isZero() && heartbeat.toMillis() < 100) {
            root.problem("heartbeat_interval", "must be 0 (off) or at least 100ms");
        }
        final Set<String> clusterNames = new HashSet<>();
        for (final ConfigNode c : clusters) {
            c.allowOnly(Set.of("name", "labels", "nodes", "patroni"));
            final String cluster = c.requiredString("name");
            if (cluster != null && !NAME.matcher(cluster).matches()) {
                c.problem("name", NAME_RULE + " (got '" + cluster + "')");
            }
            if (cluster != null && !clusterNames.add(cluster)) {
                c.problem("name", "duplicate cluster name '" + cluster + "'");
            }
            final Map<String, String> clusterLabels = c.stringMap("labels");
            final List<ConfigNode> nodeNodes = c.list("nodes");
            final boolean withPatroni = c.has("patroni");
            if (nodeNodes.isEmpty() && !withPatroni) {
                c.problem("nodes", "needs at least one node (or a patroni section, whose members are found)");
            }
            final int firstNode = nodes.size();
            final Set<String> nodeNames = new HashSet<>();
            for (final ConfigNode n : nodeNodes) {
                n.allowOnly(NODE_KEYS);
                nodes.add(node(n, defaults, cluster, clusterLabels, nodeNames, password(n, defaults)));
            }
            if (withPatroni) {
                final Map<String, String> labels = new LinkedHashMap<>(clusterLabels);
                labels.putAll(defaults.stringMap("labels"));
                final Map<String, NodeConfig> listed = new LinkedHashMap<>();
                nodes.subList(firstNode, nodes.size()).forEach(n -> listed.put(n.name(), n));
                patroni.add(patroni(c.child("patroni"), cluster, defaults, Map.copyOf(labels), listed));
            }
        }
        root.throwIfProblems();
        return new CollectorConfig(id, interval, connect, statement, refresh, workers, topic, httpPort, httpBind,
                sections.kafka(), sections.registry(), List.copyOf(nodes), List.copyOf(patroni), targets, heartbeat);
    }

    /**
     * One node's connection settings, validated (each problem noted on {@code n}); what a node does not say comes
     * from {@code defaults}. Shared by the collector's file and {@code replwatch targets apply}, which differ only in
     * how the password is given ({@code password} here, a credential's name there).
     */
    static NodeConfig node(final ConfigNode n, final ConfigNode defaults, final String cluster,
                           final Map<String, String> clusterLabels, final Set<String> nodeNames, final String password) {
        final String name = n.requiredString("name");
        if (name != null && !NAME.matcher(name).matches()) {
            n.problem("name", NAME_RULE + " (got '" + name + "')");
        }
        if (name != null && !nodeNames.add(name)) {
            n.problem("name", "duplicate node name '" + name + "' in cluster '" + cluster + "'");
        }
        final String host = pick(n, defaults, "host", null);
        if (host == null) {
            n.problem("host", "is required");
        } else if (!HOST.matcher(host).matches()) {
            n.problem(n.has("host") ? "host" : "defaults.host", "must be a host name or an IP address, nothing "
                    + "else (got '" + host + "')");
        }
        final int port = n.has("port") ? n.integer("port", 5432, 1, 65535) : defaults.integer("port", 5432, 1, 65535);
        final String sslmode = pick(n, defaults, "sslmode", "prefer");
        if (!SSLMODES.contains(sslmode)) {
            n.problem("sslmode", "must be one of " + new java.util.TreeSet<>(SSLMODES) + " (got '" + sslmode + "')");
        }
        final String user = pick(n, defaults, "user", null);
        if (user == null) {
            n.problem("user", "is required (here or under defaults)");
        }
        final Map<String, String> labels = new LinkedHashMap<>(clusterLabels);
        labels.putAll(defaults.stringMap("labels"));
        labels.putAll(n.stringMap("labels"));
        final String database = pick(n, defaults, "database", "postgres");
        if (!DATABASE.matcher(database).matches()) {
            // It goes into the JDBC URL: "postgres?sslmode=disable" would override the TLS mode.
            n.problem(n.has("database") ? "database" : "defaults.database", "must be a database name without "
                    + "? & = / # ; % or spaces (connection settings are keys of their own, such as sslmode)");
        }
        return new NodeConfig(cluster, name, host, port, database, user, password, sslmode,
                pick(n, defaults, "sslrootcert", null), pick(n, defaults, "sslcert", null),
                pick(n, defaults, "sslkey", null), Map.copyOf(labels));
    }

    /** Whether {@code name} may name a cluster or a node. */
    public static boolean validName(final String name) {
        return name != null && NAME.matcher(name).matches();
    }

    private static final Set<String> PATRONI_KEYS = Set.of("endpoints", "username", "password", "password_file",
            "ca_file", "timeout", "member_grace");

    /** A cluster's patroni section; members connect with the defaults (database, user, password, TLS). */
    private static PatroniConfig patroni(final ConfigNode p, final String cluster, final ConfigNode defaults,
                                         final Map<String, String> labels, final Map<String, NodeConfig> listed) {
        p.allowOnly(PATRONI_KEYS);
        final List<String> endpoints = p.stringList("endpoints");
        if (endpoints.isEmpty()) {
            p.problem("endpoints", "needs at least one Patroni REST API address (http://host:8008)");
        }
        for (final String e : endpoints) {
            if (!ENDPOINT.matcher(e).matches()) {
                p.problem("endpoints", "must be http:// or https:// with a host and port, no path or credentials (got '"
                        + e + "')");
            }
        }
        final String username = p.string("username", null);
        final String password = password(p, ConfigNode.empty());
        if (username == null && password != null) {
            p.problem("username", "is required with a password");
        }
        final String caFile = p.string("ca_file", null);
        if (caFile != null && !Files.isReadable(Path.of(caFile))) {
            p.problem("ca_file", "cannot read " + caFile);
        }
        final Duration timeout = p.duration("timeout", Duration.ofSeconds(2), Duration.ofMillis(100));
        final Duration grace = p.duration("member_grace", Duration.ofMinutes(5), Duration.ZERO);
        final String user = defaults.string("user", null);
        if (user == null) {
            p.problem("endpoints", "members found through Patroni connect with defaults.user, which is not set");
        }
        final String sslmode = defaults.string("sslmode", "prefer");
        final NodeConfig template = new NodeConfig(cluster, null, null, 0, defaults.string("database", "postgres"), user,
                password(defaults, ConfigNode.empty()), sslmode, defaults.string("sslrootcert", null),
                defaults.string("sslcert", null), defaults.string("sslkey", null), labels);
        return new PatroniConfig(cluster, List.copyOf(endpoints), username, password, caFile, timeout, grace, template,
                Map.copyOf(listed));
    }

    private static final java.util.regex.Pattern ENDPOINT = java.util.regex.Pattern.compile(
            "https?://[A-Za-z0-9._\\[\\]:-]+:[0-9]{1,5}/?");

    /**
     * Cluster and node names: they make the state keys ({@code cluster/node}) and the API's paths, so no
     * separators. Letters, digits, {@code . _ -}, up to 128 characters.
     */
    static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    static final String NAME_RULE = "must be letters, digits, '.', '_' or '-' (no '/' or spaces), starting with a letter or digit";
    /** A host name, an IPv4 address or an IPv6 address (bracketed or not): nothing that could end a JDBC URL's host. */
    private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile(
            "[A-Za-z0-9._-]{1,253}|\\[?[0-9A-Fa-f:.]+(%[A-Za-z0-9]+)?]?");
    private static final java.util.regex.Pattern DATABASE = java.util.regex.Pattern.compile("[^?&=/#;%\\s\\\\]{1,63}");

    static String pick(final ConfigNode node, final ConfigNode defaults, final String key, final String dflt) {
        return node.has(key) ? node.string(key, dflt) : defaults.string(key, dflt);
    }

    private static String password(final ConfigNode n, final ConfigNode defaults) {
        final ConfigNode src = n.has("password") || n.has("password_file") ? n : defaults;
        if (src.has("password") && src.has("password_file")) {
            src.problem("password", "give password or password_file, not both");
            return null;
        }
        if (src.has("password_file")) {
            final String file = src.string("password_file", null);
            try {
                return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (final IOException e) {
                src.problem("password_file", "cannot read " + file + ": " + e.getClass().getSimpleName());
                return null;
            }
        }
        return src.string("password", null);
    }

    private static String defaultCollectorId() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (final java.net.UnknownHostException e) {
            return "collector";
        }
    }
}
