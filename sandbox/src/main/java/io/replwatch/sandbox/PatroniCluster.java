package io.replwatch.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Patroni cluster: one etcd (v3 API) and Patroni members (Debian's {@code patroni} package) managing
 * PostgreSQL, all as local processes on loopback, with the levers the tests pull: switchover over the REST API,
 * SIGKILL of a member (Patroni and its postmaster, which is not Patroni's child), pause and resume, synchronous_mode,
 * tags, a member added. Settings as ../shared/PATRONI.md found to work: ttl 10, loop_wait 2, retry_timeout 4,
 * synchronous_mode on, maximum_lag_on_failover 1 MB, slots and pg_rewind.
 *
 * <p>Member names are the replwatch node names (Patroni streams each replica under its member name); the scope
 * is the cluster name. The monitor role ({@link PgNode#MONITOR_USER}, pg_monitor) is created once a leader runs.
 */
public final class PatroniCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PatroniCluster.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String REPLICATION_PASSWORD = "rep-secret";
    static final String REWIND_PASSWORD = "rew-secret";

    /** One Patroni member: its name, PostgreSQL port, REST port and directory. */
    public record Member(String name, int pgPort, int apiPort, Path dir) {
        public String apiUrl() {
            return "http://127.0.0.1:" + apiPort;
        }

        public Path dataDir() {
            return dir.resolve("data");
        }

        public String jdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";
        }
    }

    private final Path root;
    private final String scope;
    private final PgBinaries bins;
    private final boolean dieWithParent;
    private final int etcdPort;
    private final int etcdPeerPort;
    private final List<Member> members = new ArrayList<>();
    private final Map<String, Process> patronis = new LinkedHashMap<>();
    private final Map<String, Map<String, Object>> tags = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /**
     * Children are spawned from this one long-lived thread: {@code setpriv --pdeathsig} ties their lives to the thread
     * that forked them, so a pool thread that retires would take them down with it.
     */
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(r -> {
        final Thread t = new Thread(r, "patroni-spawner");
        t.setDaemon(true);
        return t;
    });
    private Process etcd;

    private PatroniCluster(final Path root, final String scope, final PgBinaries bins, final boolean dieWithParent) {
        this.root = root;
        this.scope = scope;
        this.bins = bins;
        this.dieWithParent = dieWithParent;
        this.etcdPort = Ports.free();
        this.etcdPeerPort = Ports.free();
    }

    /** Whether Patroni and etcd are installed here ({@code apt-get install patroni etcd-server}). */
    public static boolean installed() {
        return Files.isExecutable(Path.of("/usr/bin/patroni")) && Files.isExecutable(Path.of("/usr/bin/etcd"));
    }

    /**
     * Starts etcd and {@code n} members and waits until the cluster is healthy: a leader and {@code n - 1} replicas
     * running on one timeline, one of them the synchronous standby, and the monitor role created.
     */
    public static PatroniCluster start(final Path root, final String scope, final int n, final PgBinaries bins,
                                       final boolean dieWithParent, final Duration timeout) {
        if (!installed()) {
            throw new SandboxException("Patroni and etcd are not installed (/usr/bin/patroni, /usr/bin/etcd): "
                    + "apt-get install -y patroni etcd-server");
        }
        final PatroniCluster c = new PatroniCluster(root, scope, bins, dieWithParent);
        try {
            Files.createDirectories(root);
            c.startEtcd(timeout);
            for (int i = 1; i <= n; i++) {
                c.addMember(false);
            }
            c.awaitHealthy(n, timeout);
            c.createMonitorRole();
            return c;
        } catch (final IOException | RuntimeException e) {
            c.close();
            throw e instanceof SandboxException se ? se
                    : new SandboxException("Patroni cluster did not start: " + e.getMessage(), e);
        }
    }

    public String scope() {
        return scope;
    }

    public List<Member> members() {
        return List.copyOf(members);
    }

    public Member member(final String name) {
        return members.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new SandboxException("No Patroni member " + name));
    }

    /** etcd's pid (to SIGSTOP it: the DCS hangs, as a partitioned one does). */
    public long etcdPid() {
        return etcd.pid();
    }

    /** Stops etcd (SIGKILL): the DCS is down, connections to it are refused. */
    public void killEtcd() {
        etcd.destroyForcibly();
        try {
            etcd.waitFor(10, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts etcd again on its data directory and port. */
    public void restartEtcd() {
        try {
            startEtcd(Duration.ofSeconds(30));
        } catch (final IOException e) {
            throw new SandboxException("Cannot restart etcd: " + e.getMessage(), e);
        }
    }

    public String etcdUrl() {
        return "http://127.0.0.1:" + etcdPort;
    }

    /** Every member's REST API address. */
    public List<String> apiUrls() {
        return members.stream().map(Member::apiUrl).toList();
    }

    private void startEtcd(final Duration timeout) throws IOException {
        final Path data = root.resolve("etcd");
        final String client = "http://127.0.0.1:" + etcdPort;
        final String peer = "http://127.0.0.1:" + etcdPeerPort;
        etcd = spawn(List.of("etcd", "--name", "e1", "--data-dir", data.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "e1=" + peer, "--initial-cluster-state", "new",
                "--logger", "zap", "--log-outputs", "stderr"), root.resolve("etcd.log"), false);
        await("etcd healthy", timeout, () -> {
            final String body = get(client + "/health");
            return body != null && body.contains("\"health\":\"true\"");
        });
    }

    /** Starts one more member (pgN) and returns it; with {@code await}, waits until it runs as a replica. */
    public Member addMember(final boolean await) throws IOException {
        final String name = "pg" + (members.size() + 1);
        final Member m = new Member(name, Ports.free(), Ports.free(), root.resolve(name));
        Files.createDirectories(m.dir());
        OsCommand.chownToPostgres(m.dir());
        if (OsCommand.runningAsRoot()) {
            m.dir().toFile().setReadable(false, false);
            OsCommand.check(List.of("chmod", "700", m.dir().toString()), Map.of(), 10, "chmod");
        }
        members.add(m);
        tags.put(name, new LinkedHashMap<>(Map.of("nofailover", false)));
        writeConfig(m);
        startPatroni(m);
        if (await) {
            try {
                await(name + " running as a replica", Duration.ofSeconds(90), () -> {
                    final JsonNode me = memberJson(name);
                    return me != null && "running".equals(me.path("state").asText()) && !isLeaderRole(me.path("role").asText());
                });
            } catch (final SandboxException e) {
                throw new SandboxException(e.getMessage() + "; /cluster: " + cluster() + "; its log ends:\n" + logTail(name, 30), e);
            }
        }
        return m;
    }

    private Path configFile(final Member m) {
        return root.resolve(m.name() + ".yml");
    }

    /** The member's configuration, written as JSON (which YAML reads). */
    private void writeConfig(final Member m) throws IOException {
        final Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("scope", scope);
        cfg.put("namespace", "/service/");
        cfg.put("name", m.name());
        cfg.put("log", Map.of("level", "INFO"));
        cfg.put("restapi", Map.of("listen", "127.0.0.1:" + m.apiPort(), "connect_address", "127.0.0.1:" + m.apiPort()));
        cfg.put("etcd3", Map.of("hosts", "127.0.0.1:" + etcdPort));
        final Map<String, Object> params = new LinkedHashMap<>();
        params.put("wal_level", "logical");
        params.put("hot_standby", "on");
        params.put("max_wal_senders", 10);
        params.put("max_replication_slots", 10);
        params.put("wal_keep_size", "64MB");
        params.put("wal_log_hints", "on");
        params.put("fsync", "off");
        params.put("track_commit_timestamp", "off");
        cfg.put("bootstrap", Map.of(
                "dcs", Map.of("ttl", 10, "loop_wait", 2, "retry_timeout", 4,
                        "maximum_lag_on_failover", 1048576, "synchronous_mode", true,
                        "postgresql", Map.of("use_pg_rewind", true, "use_slots", true, "parameters", params)),
                "initdb", List.of(Map.of("encoding", "UTF8"), Map.of("locale", "C")),
                "pg_hba", List.of("local all all trust",
                        "host replication " + PgNode.REPLICATION_USER + " 127.0.0.1/32 scram-sha-256",
                        "host all all 127.0.0.1/32 scram-sha-256")));
        final Map<String, Object> pg = new LinkedHashMap<>();
        pg.put("listen", "127.0.0.1:" + m.pgPort());
        pg.put("connect_address", "127.0.0.1:" + m.pgPort());
        pg.put("data_dir", m.dataDir().toString());
        pg.put("bin_dir", bins.bin().toString());
        pg.put("pgpass", m.dir().resolve("pgpass").toString());
        // A new replica's pg_basebackup asks for an immediate checkpoint, not a spread one (a minute and more).
        pg.put("basebackup", List.of(Map.of("checkpoint", "fast")));
        pg.put("authentication", Map.of(
                "replication", Map.of("username", PgNode.REPLICATION_USER, "password", REPLICATION_PASSWORD),
                "superuser", Map.of("username", PgNode.SUPERUSER, "password", PgNode.SUPERUSER_PASSWORD),
                "rewind", Map.of("username", "rewinder", "password", REWIND_PASSWORD)));
        pg.put("parameters", Map.of("unix_socket_directories", m.dir().toString(), "shared_buffers", "16MB",
                "max_connections", 40, "cluster_name", m.name()));
        cfg.put("postgresql", pg);
        cfg.put("tags", tags.get(m.name()));
        final Path file = configFile(m);
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
        OsCommand.chownToPostgres(file);
    }

    private void startPatroni(final Member m) {
        final List<String> cmd = new ArrayList<>();
        if (OsCommand.runningAsRoot()) {
            cmd.addAll(List.of("setpriv", "--reuid=" + OsCommand.PG_OS_USER, "--regid=" + OsCommand.PG_OS_USER,
                    "--init-groups"));
            if (dieWithParent) {
                cmd.add("--pdeathsig");
                cmd.add("TERM");
            }
        }
        cmd.addAll(List.of("patroni", configFile(m).toString()));
        patronis.put(m.name(), spawn(cmd, m.dir().resolve("patroni.log"), true));
    }

    private Process spawn(final List<String> cmd, final Path log, final boolean asPostgres) {
        try {
            return spawner.submit(() -> {
                final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .directory(Path.of("/tmp").toFile());
                if (asPostgres && OsCommand.runningAsRoot()) {
                    pb.environment().put("HOME", "/var/lib/postgresql");
                }
                return pb.start();
            }).get(30, TimeUnit.SECONDS);
        } catch (final Exception e) {
            throw new SandboxException("Cannot start " + cmd.get(0) + ": " + e.getMessage(), e);
        }
    }

    /** Waits until there are a running leader and {@code n - 1} running replicas, one synchronous, all caught up. */
    public void awaitHealthy(final int n, final Duration timeout) {
        await("a healthy Patroni cluster of " + n, timeout, () -> {
            final JsonNode c = cluster();
            if (c == null) {
                return false;
            }
            int leaders = 0;
            int replicas = 0;
            int sync = 0;
            for (final JsonNode m : c.path("members")) {
                if (!"running".equals(m.path("state").asText())) {
                    return false;
                }
                final String role = m.path("role").asText();
                if (isLeaderRole(role)) {
                    leaders++;
                } else {
                    replicas++;
                    if (!m.path("lag").isNumber() || m.path("lag").asLong() > 0) {
                        return false;
                    }
                    sync += "sync_standby".equals(role) ? 1 : 0;
                }
            }
            return leaders == 1 && replicas == n - 1 && (n == 1 || sync >= 1);
        });
    }

    static boolean isLeaderRole(final String role) {
        return "leader".equals(role) || "master".equals(role) || "primary".equals(role);
    }

    private void createMonitorRole() {
        final Member leader = member(leader());
        try (Connection c = DriverManager.getConnection(leader.jdbcUrl(), PgNode.SUPERUSER, PgNode.SUPERUSER_PASSWORD);
             Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + PgNode.MONITOR_USER + " LOGIN PASSWORD '" + PgNode.MONITOR_PASSWORD
                    + "' IN ROLE pg_monitor");
            s.execute("CREATE TABLE IF NOT EXISTS sandbox_writes (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(),"
                    + " payload text)");
        } catch (final SQLException e) {
            throw new SandboxException("Cannot create the monitor role on " + leader.name() + ": " + e.getMessage(), e);
        }
    }

    /** GET {@code /cluster} from the first member that answers; null when none does. */
    public JsonNode cluster() {
        for (final Member m : members) {
            final String body = get(m.apiUrl() + "/cluster");
            if (body != null) {
                try {
                    return JSON.readTree(body);
                } catch (final IOException e) {
                    // try the next member
                }
            }
        }
        return null;
    }

    /** The member's entry in {@code /cluster}, or null. */
    public JsonNode memberJson(final String name) {
        final JsonNode c = cluster();
        if (c == null) {
            return null;
        }
        for (final JsonNode m : c.path("members")) {
            if (name.equals(m.path("name").asText())) {
                return m;
            }
        }
        return null;
    }

    /** The current leader's name, or null when the cluster has none. */
    public String leader() {
        final JsonNode c = cluster();
        if (c != null) {
            for (final JsonNode m : c.path("members")) {
                if (isLeaderRole(m.path("role").asText())) {
                    return m.path("name").asText();
                }
            }
        }
        return null;
    }

    /** The synchronous standby's name, or null. */
    public String syncStandby() {
        final JsonNode c = cluster();
        if (c != null) {
            for (final JsonNode m : c.path("members")) {
                if ("sync_standby".equals(m.path("role").asText())) {
                    return m.path("name").asText();
                }
            }
        }
        return null;
    }

    /**
     * A planned switchover through the leader's REST API ({@code patronictl switchover --force} exits 0 even when
     * Patroni refuses, so the API's status is checked instead). Synchronous: returns once Patroni has switched.
     */
    public void switchover(final String from, final String to) {
        final ObjectNode body = JSON.createObjectNode().put("leader", from);
        if (to != null) {
            body.put("candidate", to);
        }
        final HttpResponse<String> r = send("POST", member(from).apiUrl() + "/switchover", body.toString());
        if (r.statusCode() != 200) {
            throw new SandboxException("Switchover " + from + " -> " + to + " refused: " + r.statusCode() + " " + r.body());
        }
    }

    /** {@code POST /restart} on a member: Patroni restarts its PostgreSQL (synchronous: returns when it is done). */
    public void restartPostgresThroughPatroni(final String name) {
        final HttpResponse<String> r = send("POST", member(name).apiUrl() + "/restart", "{}");
        if (r.statusCode() != 200) {
            throw new SandboxException("POST /restart on " + name + " refused: " + r.statusCode() + " " + r.body());
        }
    }

    /** Maintenance mode on ({@code true}) or off. */
    public void pause(final boolean on) {
        patchConfig("{\"pause\":" + (on ? "true" : "null") + "}");
        await("pause " + on + " visible", Duration.ofSeconds(20), () -> {
            final JsonNode c = cluster();
            return c != null && c.path("pause").asBoolean(false) == on;
        });
    }

    /** synchronous_mode on or off (and synchronous_mode_strict). */
    public void synchronousMode(final boolean on, final boolean strict) {
        patchConfig("{\"synchronous_mode\":" + on + ",\"synchronous_mode_strict\":" + strict + "}");
    }

    /** {@code PATCH /config} with a JSON body: Patroni's dynamic configuration in the DCS. */
    public void patchConfig(final String json) {
        final HttpResponse<String> r = send("PATCH", member(anyRunning()).apiUrl() + "/config", json);
        if (r.statusCode() != 200) {
            throw new SandboxException("PATCH /config refused: " + r.statusCode() + " " + r.body());
        }
    }

    /** Sets a member's tags (nofailover, nosync, ...) in its configuration and reloads it; waits until visible. */
    public void tags(final String name, final Map<String, Object> newTags) throws IOException {
        tags.put(name, new LinkedHashMap<>(newTags));
        writeConfig(member(name));
        final HttpResponse<String> r = send("POST", member(name).apiUrl() + "/reload", "");
        if (r.statusCode() / 100 != 2) {
            throw new SandboxException("POST /reload refused: " + r.statusCode() + " " + r.body());
        }
        await(name + "'s tags visible", Duration.ofSeconds(20), () -> {
            final JsonNode me = memberJson(name);
            if (me == null) {
                return false;
            }
            for (final var e : newTags.entrySet()) {
                final JsonNode v = me.path("tags").path(e.getKey());
                if (Boolean.FALSE.equals(e.getValue()) ? v.asBoolean(false) : !v.asText().equals(String.valueOf(e.getValue()))) {
                    return false;
                }
            }
            return true;
        });
    }

    /** SIGKILL of the member's Patroni and its postmaster (not Patroni's child): a host dying. */
    public void kill(final String name) {
        final Member m = member(name);
        final var postmaster = Sandbox.postmasterPid(m.dataDir());
        final Process p = patronis.remove(name);
        if (p != null) {
            p.destroyForcibly();
        }
        postmaster.flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
        LOG.info("Killed Patroni member {} (postmaster {})", name, postmaster.orElse(null));
    }

    /** Stops the member's PostgreSQL only (fast shutdown), leaving Patroni running: in a pause, nothing restarts it. */
    public void stopPostgres(final String name) {
        OsCommand.check(OsCommand.asPostgres(List.of(bins.tool("pg_ctl"), "-D", member(name).dataDir().toString(), "-m",
                "fast", "-w", "stop")), Map.of(), 60, "pg_ctl stop " + name);
    }

    /** Stops the member gracefully: Patroni stops PostgreSQL and leaves the cluster. */
    public void stop(final String name) {
        final Member m = member(name);
        final var postmaster = Sandbox.postmasterPid(m.dataDir());
        final Process p = patronis.remove(name);
        if (p != null) {
            p.destroy();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        postmaster.flatMap(ProcessHandle::of).ifPresent(h -> {
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (final Exception e) {
                h.destroyForcibly();
            }
        });
    }

    /** Starts a stopped or killed member's Patroni again (it rejoins, with pg_rewind when it has diverged). */
    public void restart(final String name) {
        final Member m = member(name);
        if (patronis.containsKey(name) && patronis.get(name).isAlive()) {
            return;
        }
        startPatroni(m);
    }

    /** Whether the member's PostgreSQL answers. */
    public boolean pgUp(final String name) {
        try (Connection c = DriverManager.getConnection(member(name).jdbcUrl(), PgNode.SUPERUSER, PgNode.SUPERUSER_PASSWORD)) {
            return c.isValid(2);
        } catch (final SQLException e) {
            return false;
        }
    }

    private String anyRunning() {
        for (final Member m : members) {
            if (patronis.containsKey(m.name()) && get(m.apiUrl() + "/health") != null) {
                return m.name();
            }
        }
        for (final Member m : members) {
            if (patronis.containsKey(m.name())) {
                return m.name();
            }
        }
        throw new SandboxException("No Patroni member is running");
    }

    /** The body of a GET answered (any status Patroni uses for a role check counts as an answer), or null. */
    private String get(final String url) {
        try {
            final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (final IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private HttpResponse<String> send(final String method, final String url, final String body) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (final IOException e) {
            throw new SandboxException(method + " " + url + " failed: " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("Interrupted: " + method + " " + url, e);
        }
    }

    /** Polls {@code check} every 200 ms until it holds or {@code timeout} passes. */
    public static void await(final String what, final Duration timeout, final java.util.function.BooleanSupplier check) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new SandboxException("Timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(200);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("Interrupted waiting for " + what, e);
            }
        }
    }

    /** Pids of etcd, every Patroni and every postmaster. */
    public List<Long> pids() {
        final List<Long> pids = new ArrayList<>();
        if (etcd != null && etcd.isAlive()) {
            pids.add(etcd.pid());
        }
        patronis.values().stream().filter(Process::isAlive).forEach(p -> pids.add(p.pid()));
        for (final Member m : members) {
            Sandbox.postmasterPid(m.dataDir()).filter(pid -> ProcessHandle.of(pid).isPresent()).ifPresent(pids::add);
        }
        return pids;
    }

    /** Stops every member (SIGTERM, in parallel; Patroni stops its PostgreSQL), kills leftovers, then etcd. */
    @Override
    public void close() {
        final List<Long> postmasters = new ArrayList<>();
        for (final Member m : members) {
            Sandbox.postmasterPid(m.dataDir()).ifPresent(postmasters::add);
        }
        patronis.values().forEach(Process::destroy);
        for (final Process p : patronis.values()) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        patronis.clear();
        for (final Long pid : postmasters) {
            ProcessHandle.of(pid).ifPresent(h -> {
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (final Exception e) {
                    h.destroyForcibly();
                }
            });
        }
        if (etcd != null) {
            etcd.destroy();
            try {
                if (!etcd.waitFor(10, TimeUnit.SECONDS)) {
                    etcd.destroyForcibly();
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                etcd.destroyForcibly();
            }
        }
        spawner.shutdownNow();
    }

    /** The last lines of a member's Patroni log (PostgreSQL's output goes there too). */
    public String logTail(final String name, final int lines) {
        try {
            final List<String> all = Files.readAllLines(member(name).dir().resolve("patroni.log"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (final IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Test helper: members matching a condition in {@code /cluster}. */
    public List<String> membersWhere(final Predicate<JsonNode> p) {
        final List<String> out = new ArrayList<>();
        final JsonNode c = cluster();
        if (c != null) {
            c.path("members").forEach(m -> {
                if (p.test(m)) {
                    out.add(m.path("name").asText());
                }
            });
        }
        return out;
    }
}
