package io.replwatch.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real infrastructure on loopback: a Kafka broker, a Confluent-compatible schema registry and a PostgreSQL
 * primary with standbys, started in parallel under one directory. Close it to stop everything and remove the
 * data.
 *
 * <pre>{@code
 * try (Sandbox sb = Sandbox.builder().dir(tmp).standbys(2).start()) {
 *     sb.kafka().bootstrapServers(); sb.registry().url(); sb.postgres().primary().jdbcUrl();
 *     sb.postgres().pauseReplay("standby1");
 * }
 * }</pre>
 *
 * <p>With {@code watchParent} (the default) a watchdog process stops every server once this JVM exits, however
 * it exits, so a killed test run leaves nothing behind. {@code ./replwatch sandbox up} turns it off so that the
 * servers outlive the command, and records them in {@code state.json} for {@code status} and {@code down}.
 */
public final class Sandbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);
    public static final String STATE_FILE = "state.json";

    private final Builder spec;
    private KafkaBroker kafka;
    private SchemaRegistryServer registry;
    private PostgresCluster postgres;
    private PatroniCluster patroni;
    private Process watchdog;
    private final long startedNanos = System.nanoTime();
    private long readyMillis;

    private Sandbox(final Builder spec) {
        this.spec = spec;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What to start and where. */
    public static final class Builder {
        private Path dir = Path.of(".replwatch", "sandbox");
        private int standbys = 2;
        private Integer pgVersion;
        private boolean withKafka = true;
        private boolean withRegistry = true;
        private boolean withPostgres = true;
        private boolean watchParent = true;
        private boolean keepData;
        private Duration timeout = Duration.ofSeconds(90);
        private int maxConnections = 100;
        private int patroniMembers;
        private String patroniScope = "patroni";

        public Builder dir(final Path d) {
            this.dir = d;
            return this;
        }

        /** A new, unique directory under {@code target/} (tests and benchmarks): {@code target/<prefix>NNN}. */
        public Builder tempDir(final String prefix) {
            try {
                Files.createDirectories(Path.of("target"));
                this.dir = Files.createTempDirectory(Path.of("target"), prefix).toAbsolutePath();
            } catch (final IOException e) {
                throw new SandboxException("Cannot create a directory under target/: " + e.getMessage(), e);
            }
            return this;
        }

        public Builder standbys(final int n) {
            this.standbys = n;
            return this;
        }

        public Builder pgVersion(final Integer v) {
            this.pgVersion = v;
            return this;
        }

        public Builder kafka(final boolean on) {
            this.withKafka = on;
            return this;
        }

        public Builder registry(final boolean on) {
            this.withRegistry = on;
            return this;
        }

        public Builder postgres(final boolean on) {
            this.withPostgres = on;
            return this;
        }

        public Builder watchParent(final boolean on) {
            this.watchParent = on;
            return this;
        }

        /** Keep the data directory on close (for inspection). */
        public Builder keepData(final boolean on) {
            this.keepData = on;
            return this;
        }

        /** PostgreSQL max_connections on every node (default 100; load tests need more). */
        public Builder maxConnections(final int n) {
            this.maxConnections = n;
            return this;
        }

        /**
         * Also start a Patroni cluster of {@code members} on etcd ({@link PatroniCluster}; 0, the default: none),
         * under the scope (replwatch cluster name) {@code scope}.
         */
        public Builder patroni(final int members, final String scope) {
            this.patroniMembers = members;
            this.patroniScope = scope;
            return this;
        }

        public Builder timeout(final Duration t) {
            this.timeout = t;
            return this;
        }

        public Sandbox start() {
            final Sandbox sb = new Sandbox(this);
            sb.startAll();
            return sb;
        }
    }

    private void startAll() {
        final Path dir = spec.dir.toAbsolutePath();
        if (Files.exists(dir.resolve(STATE_FILE))) {
            throw new SandboxException("A sandbox is already recorded in " + dir + " (running, or left by a crash):"
                    + " run `./replwatch sandbox status` to see it and `./replwatch sandbox down` to remove it");
        }
        final PgBinaries bins = spec.withPostgres || spec.patroniMembers > 0 ? PgBinaries.detect(spec.pgVersion) : null;
        if (spec.withRegistry) {
            SchemaRegistryServer.runnerJar();
        }
        try {
            Files.createDirectories(dir);
            // PostgreSQL runs as its own OS user and must be able to reach its data directory.
            makeTraversable(dir);
        } catch (final IOException e) {
            throw new SandboxException("Cannot create " + dir + ": " + e.getMessage(), e);
        }
        if (spec.watchParent) {
            startWatchdog(dir, bins);
        }
        final CompletableFuture<KafkaBroker> k = spec.withKafka
                ? CompletableFuture.supplyAsync(() -> KafkaBroker.start(dir.resolve("kafka"), spec.watchParent, spec.timeout))
                : CompletableFuture.completedFuture(null);
        final CompletableFuture<SchemaRegistryServer> r = spec.withRegistry
                ? CompletableFuture.supplyAsync(() -> SchemaRegistryServer.start(dir.resolve("registry"), spec.timeout))
                : CompletableFuture.completedFuture(null);
        final CompletableFuture<PostgresCluster> p = spec.withPostgres
                ? CompletableFuture.supplyAsync(() -> PostgresCluster.start(dir, spec.standbys, bins, spec.maxConnections))
                : CompletableFuture.completedFuture(null);
        final CompletableFuture<PatroniCluster> pat = spec.patroniMembers > 0
                ? CompletableFuture.supplyAsync(() -> PatroniCluster.start(dir.resolve("patroni"), spec.patroniScope,
                        spec.patroniMembers, bins, spec.watchParent, spec.timeout))
                : CompletableFuture.completedFuture(null);
        final List<String> failures = new ArrayList<>();
        kafka = join(k, failures);
        registry = join(r, failures);
        postgres = join(p, failures);
        patroni = join(pat, failures);
        if (!failures.isEmpty()) {
            close();
            throw new SandboxException("Sandbox did not start: " + String.join("; ", failures));
        }
        readyMillis = (System.nanoTime() - startedNanos) / 1_000_000;
        writeState(dir);
        LOG.info("Sandbox ready in {} ms under {}", readyMillis, dir);
    }

    private static <T> T join(final CompletableFuture<T> f, final List<String> failures) {
        try {
            return f.join();
        } catch (final CompletionException e) {
            failures.add(e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
            return null;
        }
    }

    private static void makeTraversable(final Path dir) {
        if (!OsCommand.runningAsRoot()) {
            return;
        }
        for (Path p = dir; p != null; p = p.getParent()) {
            final java.io.File f = p.toFile();
            f.setExecutable(true, false);
            f.setReadable(true, false);
        }
    }

    /**
     * A detached shell that waits for this JVM to exit and then stops whatever the sandbox left running: the
     * PostgreSQL servers (which are not children of this JVM) and the registry and broker JVMs.
     */
    private void startWatchdog(final Path dir, final PgBinaries bins) {
        final String pgStop = bins == null ? "" : ("for d in '" + dir.resolve("pg") + "'/*; do "
                + "[ -f \"$d/postmaster.pid\" ] && " + String.join(" ", OsCommand.asPostgres(List.of(bins.tool("pg_ctl"))))
                + " -D \"$d\" -m immediate stop >/dev/null 2>&1; done; ");
        // Patroni members and etcd (their command lines name their files under dir/patroni), then the postmasters
        // Patroni started, which are not its children.
        final String patroniStop = "pkill -9 -f -- '" + dir.resolve("patroni") + "/' >/dev/null 2>&1; "
                + (bins == null ? "" : "for d in '" + dir.resolve("patroni") + "'/*/data; do "
                + "[ -f \"$d/postmaster.pid\" ] && kill -9 $(head -1 \"$d/postmaster.pid\") >/dev/null 2>&1; done; ");
        final String script = "while kill -0 " + ProcessHandle.current().pid() + " 2>/dev/null; do sleep 1; done; "
                + patroniStop + pgStop
                + "pkill -9 -f -- '-Dreplwatch.sandbox=" + dir + "' >/dev/null 2>&1; exit 0";
        try {
            watchdog = new ProcessBuilder("setsid", "sh", "-c", script)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (final IOException e) {
            throw new SandboxException("Cannot start the sandbox watchdog: " + e.getMessage(), e);
        }
    }

    private void writeState(final Path dir) {
        final Map<String, Object> state = new LinkedHashMap<>();
        state.put("dir", dir.toString());
        state.put("started_in_ms", readyMillis);
        state.put("java_pid", ProcessHandle.current().pid());
        if (kafka != null) {
            state.put("kafka", Map.of("bootstrap_servers", kafka.bootstrapServers(), "pid", kafka.pid()));
        }
        if (registry != null) {
            state.put("registry", Map.of("url", registry.url(), "pid", registry.pid()));
        }
        if (postgres != null) {
            final List<Map<String, Object>> nodes = new ArrayList<>();
            for (final PgNode n : postgres.nodes()) {
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", n.name());
                m.put("role", n.isStandby() ? "standby" : "primary");
                m.put("port", n.port());
                m.put("jdbc_url", n.jdbcUrl());
                m.put("data_dir", n.dataDir().toString());
                if (n.slot() != null) {
                    m.put("slot", n.slot());
                }
                nodes.add(m);
            }
            state.put("postgres", Map.of("version", postgres.binaries().majorVersion(),
                    "bin", postgres.binaries().bin().toString(), "socket_dir", postgres.socketDir().toString(),
                    "superuser", PgNode.SUPERUSER + "/" + PgNode.SUPERUSER_PASSWORD,
                    "monitor_user", PgNode.MONITOR_USER + "/" + PgNode.MONITOR_PASSWORD,
                    "nodes", nodes));
        }
        if (patroni != null) {
            final List<Map<String, Object>> members = new ArrayList<>();
            for (final PatroniCluster.Member m : patroni.members()) {
                members.add(Map.of("name", m.name(), "port", m.pgPort(), "api_url", m.apiUrl(),
                        "data_dir", m.dataDir().toString()));
            }
            state.put("patroni", Map.of("scope", patroni.scope(), "etcd", patroni.etcdUrl(), "members", members));
        }
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(dir.resolve(STATE_FILE).toFile(), state);
        } catch (final IOException e) {
            throw new SandboxException("Cannot write " + dir.resolve(STATE_FILE) + ": " + e.getMessage(), e);
        }
    }

    public KafkaBroker kafka() {
        return require(kafka, "Kafka");
    }

    public SchemaRegistryServer registry() {
        return require(registry, "the schema registry");
    }

    public PostgresCluster postgres() {
        return require(postgres, "PostgreSQL");
    }

    public PatroniCluster patroni() {
        return require(patroni, "Patroni (Builder.patroni)");
    }

    private static <T> T require(final T part, final String what) {
        if (part == null) {
            throw new SandboxException("This sandbox was started without " + what);
        }
        return part;
    }

    public Path dir() {
        return spec.dir.toAbsolutePath();
    }

    /** Milliseconds from start() to all parts ready. */
    public long readyMillis() {
        return readyMillis;
    }

    /** Pids of every process the sandbox runs (JVM children and PostgreSQL postmasters). */
    public List<Long> pids() {
        final List<Long> pids = new ArrayList<>();
        if (kafka != null && kafka.isRunning()) {
            pids.add(kafka.pid());
        }
        if (registry != null && registry.isRunning()) {
            pids.add(registry.pid());
        }
        if (postgres != null) {
            for (final PgNode n : postgres.nodes()) {
                postmasterPid(n.dataDir()).ifPresent(pids::add);
            }
        }
        if (patroni != null) {
            pids.addAll(patroni.pids());
        }
        return pids;
    }

    static java.util.Optional<Long> postmasterPid(final Path dataDir) {
        try {
            final Path pidFile = dataDir.resolve("postmaster.pid");
            if (!Files.exists(pidFile)) {
                return java.util.Optional.empty();
            }
            return Files.readAllLines(pidFile).stream().findFirst().map(String::trim).map(Long::parseLong);
        } catch (final IOException | NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public void close() {
        final List<Runnable> stops = new ArrayList<>();
        if (postgres != null) {
            stops.add(postgres::close);
        }
        if (patroni != null) {
            stops.add(patroni::close);
        }
        if (registry != null) {
            stops.add(registry::close);
        }
        if (kafka != null) {
            stops.add(kafka::close);
        }
        CompletableFuture.allOf(stops.stream().map(CompletableFuture::runAsync).toArray(CompletableFuture[]::new))
                .exceptionally(e -> {
                    LOG.warn("Error while stopping the sandbox: {}", e.getMessage());
                    return null;
                }).join();
        if (watchdog != null) {
            watchdog.destroy();
        }
        if (!spec.keepData) {
            deleteTree(dir());
        } else {
            try {
                Files.deleteIfExists(dir().resolve(STATE_FILE));
            } catch (final IOException e) {
                LOG.warn("Cannot remove {}: {}", dir().resolve(STATE_FILE), e.getMessage());
            }
        }
    }

    static void deleteTree(final Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException e) {
            LOG.warn("Cannot remove {}: {}", dir, e.getMessage());
        }
    }
}
