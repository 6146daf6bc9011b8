package io.replwatch.collector.config;

import io.replwatch.avro.ClusterTarget;
import io.replwatch.avro.TargetNode;
import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.runtime.config.InvalidConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A targets file (or a directory of them), as {@code replwatch targets apply} reads it: the collector
 * configuration's {@code defaults} and {@code clusters}, with one difference: no password. A node names a
 * {@code credential} that each collector resolves on its own host ({@code env:VAR}, {@code file:/path}, or a name in
 * its credentials file), so that no secret reaches Kafka.
 *
 * <pre>
 * defaults: {user: monitor, credential: fleet-monitor, sslmode: require}
 * clusters:
 *   - name: orders-eu
 *     labels: {env: prod}
 *     poll_interval: 5s                # optional: the collectors' poll_interval otherwise
 *     nodes:
 *       - {name: orders-eu-1, host: 10.0.0.1}
 *       - {name: orders-eu-2, host: 10.0.0.2, credential: env:ORDERS_PG_PASSWORD}
 * </pre>
 *
 * Every problem in every file is reported together; nothing is published while one remains.
 */
public final class TargetsFile {

    private static final Set<String> TOP = Set.of("defaults", "clusters");
    private static final Set<String> CLUSTER_KEYS = Set.of("name", "labels", "poll_interval", "nodes");
    private static final Set<String> NODE_KEYS = Set.of("name", "host", "port", "database", "user", "credential",
            "sslmode", "sslrootcert", "sslcert", "sslkey", "labels");
    /** Allowed only to be refused with a message that says what to write instead. */
    private static final Set<String> REFUSED = Set.of("password", "password_file");
    private static final java.util.regex.Pattern CREDENTIAL = java.util.regex.Pattern.compile(
            "env:[A-Za-z_][A-Za-z0-9_]*|file:/\\S+|[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private TargetsFile() {
    }

    /** Reads a file, or every {@code *.yaml} and {@code *.yml} file of a directory (sorted), into targets by cluster. */
    public static Map<String, ClusterTarget> load(final Path path, final Function<String, String> env,
                                                  final boolean allowEmpty) {
        final List<Path> files = new ArrayList<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().forEach(files::add);
            } catch (final IOException e) {
                throw new InvalidConfigException(path.toString(), List.of("cannot list the directory: " + e.getMessage()));
            }
            if (files.isEmpty()) {
                throw new InvalidConfigException(path.toString(), List.of("holds no .yaml or .yml file"));
            }
        } else {
            files.add(path);
        }
        final List<String> problems = new ArrayList<>();
        final Map<String, ClusterTarget> all = new LinkedHashMap<>();
        final Map<String, Path> from = new LinkedHashMap<>();
        final Instant now = Instant.now();
        for (final Path f : files) {
            try {
                for (final ClusterTarget t : parse(ConfigNode.load(f, env), f.toString(), now, allowEmpty)) {
                    final Path first = from.putIfAbsent(t.getCluster(), f);
                    if (first != null) {
                        problems.add(f + ": cluster '" + t.getCluster() + "' is also defined in " + first);
                    } else {
                        all.put(t.getCluster(), t);
                    }
                }
            } catch (final InvalidConfigException e) {
                e.problems().forEach(p -> problems.add(files.size() > 1 ? f + ": " + p : p));
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(path.toString(), problems);
        }
        return all;
    }

    /** One document's targets; throws listing every problem. */
    public static List<ClusterTarget> parse(final ConfigNode root, final String source, final Instant appliedAt,
                                            final boolean allowEmpty) {
        root.allowOnly(TOP);
        final ConfigNode defaults = root.child("defaults");
        defaults.allowOnly(union(NODE_KEYS, REFUSED));
        secretsRefused(defaults);
        final List<ClusterTarget> out = new ArrayList<>();
        final Set<String> names = new HashSet<>();
        final List<ConfigNode> clusters = root.list("clusters");
        if (clusters.isEmpty() && !allowEmpty) {
            root.problem("clusters", "is required: at least one cluster (an empty fleet would remove every cluster; "
                    + "use `targets apply --allow-empty` for that)");
        }
        for (final ConfigNode c : clusters) {
            c.allowOnly(CLUSTER_KEYS);
            final String cluster = c.requiredString("name");
            if (cluster != null && !CollectorConfig.validName(cluster)) {
                c.problem("name", CollectorConfig.NAME_RULE + " (got '" + cluster + "')");
            }
            if (cluster != null && !names.add(cluster)) {
                c.problem("name", "duplicate cluster name '" + cluster + "'");
            }
            final Map<String, String> labels = c.stringMap("labels");
            final Duration interval = c.has("poll_interval") ? c.duration("poll_interval", null, Duration.ofMillis(100))
                    : null;
            final List<ConfigNode> nodeNodes = c.list("nodes");
            if (nodeNodes.isEmpty()) {
                c.problem("nodes", "needs at least one node");
            }
            final List<TargetNode> nodes = new ArrayList<>();
            final Set<String> nodeNames = new HashSet<>();
            for (final ConfigNode n : nodeNodes) {
                n.allowOnly(union(NODE_KEYS, REFUSED));
                secretsRefused(n);
                final NodeConfig nc = CollectorConfig.node(n, defaults, cluster, Map.of(), nodeNames, null);
                final String credential = CollectorConfig.pick(n, defaults, "credential", null);
                if (credential != null && !CREDENTIAL.matcher(credential).matches()) {
                    n.problem(n.has("credential") ? "credential" : "defaults.credential", "must be env:VAR, file:/path "
                            + "or a credential name (letters, digits, . _ -) in the collectors' credentials files");
                }
                final Map<String, String> nodeLabels = new LinkedHashMap<>(defaults.stringMap("labels"));
                nodeLabels.putAll(n.stringMap("labels"));
                if (nc.name() != null && nc.host() != null && nc.user() != null) {
                    nodes.add(TargetNode.newBuilder().setName(nc.name()).setHost(nc.host()).setPort(nc.port())
                            .setDatabase(nc.database()).setUser(nc.user()).setCredential(credential)
                            .setSslmode(nc.sslmode()).setSslrootcert(nc.sslrootcert()).setSslcert(nc.sslcert())
                            .setSslkey(nc.sslkey()).setLabels(nodeLabels).build());
                }
            }
            if (cluster != null) {
                out.add(ClusterTarget.newBuilder().setCluster(cluster).setLabels(labels)
                        .setPollIntervalMs(interval == null ? null : interval.toMillis()).setNodes(nodes)
                        .setAppliedAt(appliedAt).setSource(source).build());
            }
        }
        root.throwIfProblems();
        return out;
    }

    private static Set<String> union(final Set<String> a, final Set<String> b) {
        final Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return u;
    }

    /** Secrets stay out of Kafka: a password in a targets file is an error that says what to write instead. */
    private static void secretsRefused(final ConfigNode n) {
        for (final String k : List.of("password", "password_file")) {
            if (n.has(k)) {
                n.problem(k, "secrets stay out of Kafka: name a credential instead (credential: env:VAR, file:/path, "
                        + "or a name in each collector's credentials_file)");
            }
        }
    }
}
