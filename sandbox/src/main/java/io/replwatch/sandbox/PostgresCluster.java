package io.replwatch.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL primary with N streaming standbys on loopback, each standby on its own physical slot: the
 * first synchronous ({@code FIRST 1 (standby1)}), the rest asynchronous. Roles: {@code replicator}
 * (REPLICATION), {@code monitor} (pg_monitor) and {@code nomonitor} (no monitoring rights). fsync is off: for
 * tests and demos only.
 *
 * <p>Fault levers change the real servers; each one's effect is visible through SQL afterwards.
 */
public final class PostgresCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresCluster.class);

    private final Path dir;
    private final int maxConnections;
    private final PgBinaries bin;
    private final Path socketDir;
    private final List<PgNode> nodes = new ArrayList<>();
    private volatile PgNode primary;

    private PostgresCluster(final Path dir, final PgBinaries bin, final Path socketDir, final int maxConnections) {
        this.maxConnections = maxConnections;
        this.dir = dir;
        this.bin = bin;
        this.socketDir = socketDir;
    }

    /**
     * Creates and starts a primary and {@code standbys} standbys under {@code dir}, and waits until every
     * standby streams (the first as sync).
     */
    public static PostgresCluster start(final Path dir, final int standbys, final PgBinaries bin) {
        return start(dir, standbys, bin, 100);
    }

    /** As {@link #start(Path, int, PgBinaries)} with max_connections set on every node. */
    public static PostgresCluster start(final Path dir, final int standbys, final PgBinaries bin,
                                        final int maxConnections) {
        if (standbys < 0 || standbys > 8) {
            throw new SandboxException("standbys must be 0 to 8 (got " + standbys + ")");
        }
        final Path socketDir;
        try {
            Files.createDirectories(dir);
            // Socket paths must stay under ~107 characters: keep them out of deep build directories.
            socketDir = Files.createTempDirectory(Path.of("/tmp"), "rwpg");
        } catch (final IOException e) {
            throw new SandboxException("Cannot create " + dir + ": " + e.getMessage(), e);
        }
        OsCommand.chownToPostgres(socketDir);
        final PostgresCluster c = new PostgresCluster(dir, bin, socketDir, maxConnections);
        try {
            c.create(standbys);
        } catch (final RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    private void create(final int standbys) {
        final Path pgRoot = dir.resolve("pg");
        if (Files.exists(pgRoot)) {
            throw new SandboxException("Stale PostgreSQL data in " + pgRoot + " (from a crashed run?): run"
                    + " `./replwatch sandbox down` or remove the directory");
        }
        mkdirs(pgRoot);
        final PgNode p = new PgNode("primary", Ports.free(), pgRoot.resolve("primary"), null, false);
        initdb(p);
        startNode(p);
        primary = p;
        nodes.add(p);
        p.execute(
                "CREATE ROLE " + PgNode.REPLICATION_USER + " LOGIN REPLICATION PASSWORD '" + PgNode.REPLICATION_PASSWORD + "'",
                "CREATE ROLE " + PgNode.MONITOR_USER + " LOGIN PASSWORD '" + PgNode.MONITOR_PASSWORD + "' IN ROLE pg_monitor",
                "CREATE ROLE " + PgNode.UNPRIVILEGED_USER + " LOGIN PASSWORD '" + PgNode.UNPRIVILEGED_PASSWORD + "'");
        final List<PgNode> created = new ArrayList<>();
        for (int i = 1; i <= standbys; i++) {
            created.add(new PgNode("standby" + i, Ports.free(), pgRoot.resolve("standby" + i), "standby" + i, true));
        }
        if (bin.hasBasebackup()) {
            for (final PgNode s : created) {
                basebackup(p, s);
                configureStandby(s, conninfo(p, s), s.slot(), "");
                startNode(s);
                nodes.add(s);
            }
        } else if (!created.isEmpty()) {
            // No pg_basebackup (zonky binaries): copy the cleanly stopped primary instead.
            for (final PgNode s : created) {
                p.execute("SELECT pg_create_physical_replication_slot('" + s.slot() + "')");
            }
            stopNode(p, "fast");
            for (final PgNode s : created) {
                copyDataDir(p, s);
                configureStandby(s, conninfo(p, s), s.slot(), "");
            }
            startNode(p);
            for (final PgNode s : created) {
                startNode(s);
                nodes.add(s);
            }
        }
        awaitStreaming(Duration.ofSeconds(60));
        if (standbys > 0) {
            // Only now: with a synchronous name that is not streaming yet, every commit would wait.
            p.execute("ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (standby1)'", "SELECT pg_reload_conf()");
            awaitCondition(Duration.ofSeconds(30), "standby1 to become synchronous", () -> "sync".equals(
                    p.queryOne("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")));
        }
        LOG.info("PostgreSQL {} cluster ready: {}", bin.majorVersion(), nodes);
    }

    private void mkdirs(final Path path) {
        try {
            Files.createDirectories(path);
            OsCommand.chownToPostgres(path);
        } catch (final IOException e) {
            throw new SandboxException("Cannot create " + path + ": " + e.getMessage(), e);
        }
    }

    private void initdb(final PgNode node) {
        OsCommand.check(OsCommand.asPostgres(List.of(bin.tool("initdb"), "-D", node.dataDir().toString(),
                "-U", PgNode.SUPERUSER, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C", "--no-sync", "--wal-segsize=1", "--pwfile=" + pwfile())), Map.of(), 120, "initdb");
        appendConf(node, """
                listen_addresses = '127.0.0.1'
                port = %d
                unix_socket_directories = '%s'
                cluster_name = '%s'
                fsync = off
                full_page_writes = off
                wal_level = logical
                max_prepared_transactions = 10
                max_wal_senders = 10
                max_replication_slots = 10
                hot_standby = on
                wal_receiver_status_interval = 1s
                wal_keep_size = 0
                max_wal_size = 1GB
                shared_buffers = 16MB
                max_connections = %d
                logging_collector = off
                log_min_messages = warning
                """.formatted(node.port(), socketDir, node.name(), maxConnections));
        try {
            Files.writeString(node.dataDir().resolve("pg_hba.conf"), """
                    local   all          all                     trust
                    host    all          all   127.0.0.1/32      scram-sha-256
                    host    replication  all   127.0.0.1/32      scram-sha-256
                    """, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (final IOException e) {
            throw new SandboxException("Cannot write pg_hba.conf: " + e.getMessage(), e);
        }
    }

    private Path pwfile() {
        final Path f = socketDir.resolve("pw");
        try {
            Files.writeString(f, PgNode.SUPERUSER_PASSWORD + "\n");
        } catch (final IOException e) {
            throw new SandboxException("Cannot write " + f + ": " + e.getMessage(), e);
        }
        OsCommand.chownToPostgres(f);
        return f;
    }

    private void appendConf(final PgNode node, final String text) {
        try {
            Files.writeString(node.dataDir().resolve("postgresql.conf"), "\n# replwatch sandbox\n" + text,
                    StandardOpenOption.APPEND);
        } catch (final IOException e) {
            throw new SandboxException("Cannot write postgresql.conf of " + node.name() + ": " + e.getMessage(), e);
        }
    }

    /** A base backup of {@code from} into {@code s}'s data directory, creating {@code s}'s slot if it has one. */
    private void basebackup(final PgNode from, final PgNode s) {
        final List<String> cmd = new ArrayList<>(List.of(bin.tool("pg_basebackup"), "-h", "127.0.0.1",
                "-p", String.valueOf(from.port()), "-U", PgNode.REPLICATION_USER, "-D", s.dataDir().toString()));
        if (s.slot() != null) {
            cmd.addAll(List.of("-S", s.slot(), "-C"));
        }
        cmd.addAll(List.of("-X", "stream", "-c", "fast", "--no-sync"));
        OsCommand.check(OsCommand.asPostgres(cmd), Map.of("PGPASSWORD", PgNode.REPLICATION_PASSWORD), 120,
                "pg_basebackup for " + s.name());
    }

    private static void standbySignal(final PgNode s) {
        try {
            Files.writeString(s.dataDir().resolve("standby.signal"), "");
        } catch (final IOException e) {
            throw new SandboxException("Cannot write standby.signal: " + e.getMessage(), e);
        }
        OsCommand.chownToPostgres(s.dataDir().resolve("standby.signal"));
    }

    private void copyDataDir(final PgNode from, final PgNode s) {
        OsCommand.check(OsCommand.asPostgres(List.of("cp", "-a", from.dataDir().toString(), s.dataDir().toString())),
                Map.of(), 120, "copying the primary's data directory for " + s.name());
        // The copy must not inherit the primary's slots, pid file or log.
        OsCommand.check(OsCommand.asPostgres(List.of("sh", "-c", "rm -rf '" + s.dataDir() + "'/pg_replslot/* '"
                + s.dataDir() + "'/postmaster.pid '" + s.dataDir() + "'/server.log")), Map.of(), 60,
                "cleaning the copy for " + s.name());
    }

    private void configureStandby(final PgNode s, final String conninfo, final String slot, final String more) {
        standbySignal(s);
        // primary_conninfo lives in postgresql.conf so that cutting the link with ALTER SYSTEM can be undone with
        // ALTER SYSTEM RESET. application_name names this standby's row in pg_stat_replication.
        appendConf(s, """
                port = %d
                cluster_name = '%s'
                synchronous_standby_names = ''
                primary_conninfo = '%s'
                primary_slot_name = '%s'
                """.formatted(s.port(), s.name(), conninfo, slot) + more);
    }

    private static String conninfo(final PgNode upstream, final PgNode standby) {
        return conninfo(upstream, standby.name());
    }

    private static String conninfo(final PgNode upstream, final String standby) {
        return "host=127.0.0.1 port=" + upstream.port() + " user=" + PgNode.REPLICATION_USER + " password="
                + PgNode.REPLICATION_PASSWORD + " application_name=" + standby;
    }

    private void startNode(final PgNode node) {
        OsCommand.check(OsCommand.asPostgres(List.of(bin.tool("pg_ctl"), "-D", node.dataDir().toString(),
                "-l", node.dataDir().resolve("server.log").toString(), "-w", "-t", "60", "start")),
                Map.of(), 90, "starting " + node.name() + " (see " + node.dataDir().resolve("server.log") + ")");
    }

    private void stopNode(final PgNode node, final String mode) {
        OsCommand.run(OsCommand.asPostgres(List.of(bin.tool("pg_ctl"), "-D", node.dataDir().toString(),
                "-w", "-t", "60", "-m", mode, "stop")), Map.of(), 90);
    }

    private void awaitStreaming(final Duration timeout) {
        final List<String> standbys = nodes.stream().filter(PgNode::isStandby).map(PgNode::name)
                .filter(n -> !archiveFed.contains(n) && !cascaded.containsKey(n)).toList();
        awaitCondition(timeout, "standbys " + standbys + " to stream", () -> {
            final List<Map<String, String>> rows = primary.query(
                    "SELECT application_name, state FROM pg_stat_replication WHERE state = 'streaming'");
            return rows.stream().map(r -> r.get("application_name")).toList().containsAll(standbys);
        });
    }

    static void awaitCondition(final Duration timeout, final String what, final java.util.function.BooleanSupplier ok) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (ok.getAsBoolean()) {
                    return;
                }
            } catch (final RuntimeException e) {
                last = e;
            }
            KafkaBroker.sleepQuietly(100);
        }
        throw new SandboxException("Timed out after " + timeout.toSeconds() + " s waiting for " + what
                + (last == null ? "" : ": " + last.getMessage()));
    }

    // ---- accessors

    public PgNode primary() {
        return primary;
    }

    public List<PgNode> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    public List<PgNode> standbys() {
        return nodes.stream().filter(PgNode::isStandby).toList();
    }

    public PgNode node(final String name) {
        return java.util.stream.Stream.concat(nodes.stream(), subscribers.stream()).filter(n -> n.name().equals(name))
                .findFirst().orElseThrow(() -> new SandboxException("No node named '" + name + "' (have "
                        + nodes.stream().map(PgNode::name).toList() + ", subscribers "
                        + subscribers.stream().map(PgNode::name).toList() + ")"));
    }

    /** Instances of their own (not in {@link #nodes()}: another database system) subscribing to the primary. */
    private final List<PgNode> subscribers = new ArrayList<>();

    /** The publication and table the subscribers subscribe to, on the primary. */
    public static final String PUBLICATION = "replwatch_pub";

    /**
     * Adds a subscriber: a PostgreSQL instance of its own (initdb, not a standby: replwatch watches it as another
     * cluster) whose subscription {@code name} replicates the primary's table replwatch_pub through a publication
     * of that name; the subscription's slot on the primary is {@code name} too. Returns once its apply worker runs.
     */
    public PgNode addSubscriber(final String name) {
        final PgNode s = new PgNode(name, Ports.free(), dir.resolve("pg").resolve(name), null, false);
        initdb(s);
        startNode(s);
        subscribers.add(s);
        s.execute("CREATE ROLE " + PgNode.MONITOR_USER + " LOGIN PASSWORD '" + PgNode.MONITOR_PASSWORD + "' IN ROLE pg_monitor",
                "CREATE TABLE " + PUBLICATION + " (id int PRIMARY KEY, v text)");
        primary.execute("CREATE TABLE IF NOT EXISTS " + PUBLICATION + " (id int PRIMARY KEY, v text)",
                "GRANT SELECT ON " + PUBLICATION + " TO " + PgNode.REPLICATION_USER,
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '" + PUBLICATION + "') THEN"
                        + " CREATE PUBLICATION " + PUBLICATION + " FOR TABLE " + PUBLICATION + "; END IF; END $$");
        s.execute("CREATE SUBSCRIPTION " + slotName(name) + " CONNECTION 'host=127.0.0.1 port=" + primary.port()
                + " dbname=postgres user=" + PgNode.REPLICATION_USER + " password=" + PgNode.REPLICATION_PASSWORD
                + " application_name=" + name + "' PUBLICATION " + PUBLICATION);
        awaitApplying(s, name);
        return s;
    }

    private void awaitApplying(final PgNode s, final String subscription) {
        awaitCondition(Duration.ofSeconds(60), subscription + "'s apply worker", () -> "t".equals(s.queryOne(
                "SELECT count(*) > 0 FROM pg_stat_subscription WHERE subname = '" + subscription + "' AND pid IS NOT NULL"
                        + " AND relid IS NULL")));
    }

    /** Lever: ALTER SUBSCRIPTION ... DISABLE (its apply worker stops) or ENABLE (and waits for it to run again). */
    public void enableSubscription(final String subscriber, final boolean enable) {
        node(subscriber).execute("ALTER SUBSCRIPTION " + slotName(subscriber) + (enable ? " ENABLE" : " DISABLE"));
        if (enable) {
            awaitApplying(node(subscriber), subscriber);
        }
    }

    /**
     * Lever: an apply error. A row with id {@code id} is inserted on the subscriber, then the same id on the primary:
     * the subscriber's apply worker fails on the duplicate key, exits, and retries (and fails) until
     * {@link #resolveConflict} removes the subscriber's row.
     */
    public void conflictOnSubscriber(final String subscriber, final int id) {
        node(subscriber).execute("INSERT INTO " + PUBLICATION + " VALUES (" + id + ", 'local')");
        primary.execute("INSERT INTO " + PUBLICATION + " VALUES (" + id + ", 'published')");
    }

    private final java.util.concurrent.atomic.AtomicInteger publishedIds = new java.util.concurrent.atomic.AtomicInteger(1_000_000);

    /** Inserts {@code rows} rows into the published table on the primary (ids no lever uses): changes to apply. */
    public void writePublished(final int rows) {
        final int first = publishedIds.getAndAdd(rows);
        primary.execute("INSERT INTO " + PUBLICATION + " SELECT g, 'load' FROM generate_series(" + first + ", "
                + (first + rows - 1) + ") g");
    }

    /**
     * Lever: the published table locked (ACCESS EXCLUSIVE) on a subscriber by a transaction left open, as a long
     * migration or a forgotten session does: its apply worker waits on the lock at the next change and confirms
     * nothing until the transaction is closed. (Keep it under wal_sender_timeout, 60 s, or the publisher cuts the
     * silent connection.)
     */
    public OpenTransaction lockOnSubscriber(final String subscriber) {
        final OpenTransaction t = openTransaction(subscriber);
        try (var st = t.connection.createStatement()) {
            st.execute("LOCK TABLE " + PUBLICATION + " IN ACCESS EXCLUSIVE MODE");
            return t;
        } catch (final java.sql.SQLException e) {
            t.close();
            throw new SandboxException("Cannot lock " + PUBLICATION + " on " + subscriber + ": " + e.getMessage(), e);
        }
    }

    /** Sets a setting that needs no restart on any node, subscribers included, and reloads. */
    public void setOn(final String node, final String setting, final String value) {
        node(node).execute("ALTER SYSTEM SET " + setting + " = '" + value + "'", "SELECT pg_reload_conf()");
    }

    /** Removes the subscriber's conflicting row: the apply worker's next retry succeeds. */
    public void resolveConflict(final String subscriber, final int id) {
        node(subscriber).execute("DELETE FROM " + PUBLICATION + " WHERE id = " + id + " AND v = 'local'");
    }

    public PgBinaries binaries() {
        return bin;
    }

    public Path socketDir() {
        return socketDir;
    }

    // ---- fault levers

    /** Stops a node ({@code pg_ctl stop -m fast}): an outage. Stopping the sync standby makes primary commits wait. */
    public void stop(final String name) {
        stopNode(node(name), "fast");
    }

    /** Starts a stopped node again. */
    public void start(final String name) {
        startNode(node(name));
    }

    /** {@code pg_wal_replay_pause()}: receive goes on, replay stops. pg_stat_replication still says streaming. */
    public void pauseReplay(final String standby) {
        requireStandby(standby).execute("SELECT pg_wal_replay_pause()");
    }

    public void resumeReplay(final String standby) {
        requireStandby(standby).execute("SELECT pg_wal_replay_resume()");
    }

    /**
     * Cuts the standby's replication link while it stays up: primary_conninfo points at a dead port and the
     * configuration is reloaded, so the WAL receiver stops and the primary drops its pg_stat_replication row.
     */
    public void cutLink(final String standby) {
        requireStandby(standby).execute("ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1 user="
                + PgNode.REPLICATION_USER + " application_name=" + standby + " connect_timeout=1'",
                "SELECT pg_reload_conf()");
    }

    /** Undoes {@link #cutLink}: the standby reconnects to its upstream. */
    public void restoreLink(final String standby) {
        requireStandby(standby).execute("ALTER SYSTEM RESET primary_conninfo", "SELECT pg_reload_conf()");
    }

    // ---- levers beyond the streaming link (issue 15)

    /**
     * Turns WAL archiving on for the primary, to {@code <dir>/archive}, and restarts it (archive_mode needs a
     * restart). The archive_command fails while the file {@code FAIL} exists in that directory: see
     * {@link #failArchiving}. Returns the archive directory.
     */
    public Path enableArchiving() {
        final Path archive = dir.resolve("archive");
        mkdirs(archive);
        primary.execute("ALTER SYSTEM SET archive_mode = on",
                "ALTER SYSTEM SET archive_command = 'test ! -f " + archive + "/FAIL && cp %p " + archive + "/%f'");
        restart(primary.name());
        return archive;
    }

    /**
     * Makes the primary's archive_command fail (true) or succeed again (false). On recovery a WAL switch wakes the
     * archiver, which otherwise waits up to a minute after three failed attempts.
     */
    public void failArchiving(final boolean fail) {
        final Path flag = dir.resolve("archive").resolve("FAIL");
        try {
            if (fail) {
                Files.writeString(flag, "");
            } else {
                Files.deleteIfExists(flag);
            }
        } catch (final IOException e) {
            throw new SandboxException("Cannot " + (fail ? "create " : "remove ") + flag + ": " + e.getMessage(), e);
        }
        if (!fail) {
            primary.execute("SELECT pg_switch_wal()");
        }
    }

    /**
     * The standby streams on without its replication slot (primary_slot_name emptied, reloaded), and the slot is
     * dropped on the primary once inactive: it now lives on what the primary's wal_keep_size keeps.
     */
    public void detachSlot(final String standby) {
        final PgNode s = requireStandby(standby);
        s.execute("ALTER SYSTEM SET primary_slot_name = ''", "SELECT pg_reload_conf()");
        awaitCondition(Duration.ofSeconds(30), "slot " + s.slot() + " to be released", () -> "f".equals(
                primary.queryOne("SELECT active FROM pg_replication_slots WHERE slot_name = '" + s.slot() + "'")));
        dropSlot(s.slot());
    }

    /** Standbys fed from the WAL archive only: they never stream. */
    private final java.util.Set<String> archiveFed = new java.util.HashSet<>();

    /**
     * Adds a standby fed from the WAL archive only ({@link #enableArchiving} first): a base backup of the primary,
     * restore_command copying from the archive directory, no primary_conninfo and no slot. It never streams and
     * the primary does not list it; it replays each segment once archived.
     */
    public PgNode addArchiveStandby(final String name) {
        final Path archive = dir.resolve("archive");
        if (!Files.isDirectory(archive)) {
            throw new SandboxException("enableArchiving() first: " + archive + " does not exist");
        }
        final PgNode s = extraStandby(name, "", "", "restore_command = 'cp " + archive + "/%f %p'\n");
        archiveFed.add(name);
        return s;
    }

    /**
     * A standby beyond those the cluster was created with: a base backup of the primary (a backup taken on a standby
     * needs full_page_writes, which the sandbox turns off; any base backup of the cluster can stream from any of its
     * nodes), with the given conninfo, slot and further settings, started.
     */
    private PgNode extraStandby(final String name, final String conninfo, final String slot, final String more) {
        final PgNode s = new PgNode(name, Ports.free(), dir.resolve("pg").resolve(name), null, true);
        basebackup(primary, s);
        configureStandby(s, conninfo, slot, more);
        startNode(s);
        nodes.add(s);
        return s;
    }

    /** Cascading standbys, by name, with the standby each streams from. */
    private final Map<String, String> cascaded = new java.util.HashMap<>();

    /**
     * Adds a cascading standby: a base backup of the cluster, streaming from {@code upstream} (a standby) through a
     * slot on it. The primary does not list it; its upstream's pg_stat_replication does.
     */
    public PgNode addCascadingStandby(final String name, final String upstream) {
        final PgNode up = requireStandby(upstream);
        // A slot on the upstream keeps the WAL this standby still needs across the upstream's restarts.
        up.execute("SELECT pg_create_physical_replication_slot('" + name + "', true)");
        final PgNode s = extraStandby(name, conninfo(up, name), name, "");
        cascaded.put(name, upstream);
        awaitCondition(Duration.ofSeconds(60), name + " to stream from " + upstream, () -> "streaming".equals(
                up.queryOne("SELECT state FROM pg_stat_replication WHERE application_name = '" + name + "'")));
        return s;
    }

    /** A delayed standby: recovery_min_apply_delay (a reload is enough). Duration.ZERO undoes it. */
    public void delayApply(final String standby, final Duration delay) {
        requireStandby(standby).execute("ALTER SYSTEM SET recovery_min_apply_delay = '" + delay.toMillis() + "ms'",
                "SELECT pg_reload_conf()");
    }

    /** Sets a primary setting that needs no restart (max_wal_size, archive_timeout ...) and reloads. */
    public void setOnPrimary(final String setting, final String value) {
        primary.execute("ALTER SYSTEM SET " + setting + " = '" + value + "'", "SELECT pg_reload_conf()");
    }

    /**
     * Raises a postmaster setting (max_connections, max_locks_per_transaction ...) on the primary alone and restarts
     * it: its standbys now hold less than it does, as after an upgrade of the primary's hardware done halfway.
     */
    public void raiseOnPrimary(final String setting, final int value) {
        primary.execute("ALTER SYSTEM SET " + setting + " = " + value);
        restart(primary.name());
    }

    /** Stops and starts a node (a fast shutdown), and waits for the standbys to stream again after a primary's. */
    public void restart(final String name) {
        final PgNode n = node(name);
        stopNode(n, "fast");
        startNode(n);
        if (n == primary) {
            awaitStreaming(Duration.ofSeconds(60));
        }
    }

    /** {@code pg_promote()}: the standby leaves recovery on a new timeline. The old primary keeps running. */
    public void promote(final String standby) {
        final PgNode s = requireStandby(standby);
        s.execute("ALTER SYSTEM SET synchronous_standby_names = ''", "SELECT pg_reload_conf()");
        final String ok = s.queryOne("SELECT pg_promote(true, 60)");
        if (!"t".equals(ok)) {
            throw new SandboxException("pg_promote() on " + standby + " returned " + ok);
        }
        s.promoted();
        // Force a checkpoint so that pg_control_checkpoint() reports the new timeline at once.
        s.execute("CHECKPOINT");
    }

    /**
     * Writes at least {@code megabytes} MB of WAL on the primary and returns the bytes written. Uses
     * synchronous_commit = local so that a stopped synchronous standby does not hang the load itself.
     */
    public long generateWal(final int megabytes) {
        final PgNode p = primary;
        try (var c = p.connect(); var s = c.createStatement()) {
            s.execute("SET synchronous_commit = local");
            s.execute("CREATE TABLE IF NOT EXISTS replwatch_load (id bigserial PRIMARY KEY, payload text)");
            final long start = lsnOf(s, "SELECT pg_current_wal_lsn() - '0/0'");
            final long target = (long) megabytes * 1024 * 1024;
            long written = 0;
            while (written < target) {
                s.execute("INSERT INTO replwatch_load (payload) SELECT repeat(md5(random()::text), 16)"
                        + " FROM generate_series(1, 500)");
                written = lsnOf(s, "SELECT pg_current_wal_lsn() - '0/0'") - start;
            }
            s.execute("TRUNCATE replwatch_load");
            return written;
        } catch (final java.sql.SQLException e) {
            throw new SandboxException("Generating WAL on " + p.name() + ": " + e.getMessage(), e);
        }
    }

    private static long lsnOf(final java.sql.Statement s, final String sql) throws java.sql.SQLException {
        try (var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getBigDecimal(1).longValueExact();
        }
    }

    /** Leaves the primary idle: nothing is written by the sandbox for {@code duration}. */
    public void idle(final Duration duration) {
        KafkaBroker.sleepQuietly(duration.toMillis());
    }

    /** Creates a physical slot that reserves WAL at once and that nothing consumes: retained WAL grows. */
    /**
     * Lever: the node serves TLS with {@code certs}' server certificate (copied into its data directory, the key
     * readable by the postgres user only); takes effect at once (ssl is reloadable). Plain connections still work,
     * as pg_hba allows both: what a client gets depends on its sslmode.
     */
    public void enableTls(final String name, final TestCertificates certs) {
        final PgNode n = node(name);
        try {
            final Path cert = n.dataDir().resolve("server.crt");
            final Path key = n.dataDir().resolve("server.key");
            java.nio.file.Files.copy(certs.serverCert(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            java.nio.file.Files.copy(certs.serverKey(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            java.nio.file.Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            OsCommand.chownToPostgres(cert);
            OsCommand.chownToPostgres(key);
            n.execute("ALTER SYSTEM SET ssl_cert_file = '" + cert + "'", "ALTER SYSTEM SET ssl_key_file = '" + key + "'",
                    "ALTER SYSTEM SET ssl = on", "SELECT pg_reload_conf()");
        } catch (final java.io.IOException e) {
            throw new SandboxException("Cannot enable TLS on " + name + ": " + e.getMessage(), e);
        }
    }

    /** A transaction left open on a node (its snapshot holds the xmin horizon); {@link #close()} rolls it back. */
    public static final class OpenTransaction implements AutoCloseable {
        private final java.sql.Connection connection;
        private final int pid;

        OpenTransaction(final java.sql.Connection connection, final int pid) {
            this.connection = connection;
            this.pid = pid;
        }

        /** The backend's pid, as pg_stat_activity shows it. */
        public int pid() {
            return pid;
        }

        @Override
        public void close() {
            try (connection) {
                connection.rollback();
            } catch (final java.sql.SQLException e) {
                // the node may be down by now: its transaction went with it
            }
        }
    }

    /**
     * Lever: a transaction left open ("idle in transaction") on {@code name} with a REPEATABLE READ snapshot, as a
     * forgotten session or a long report does: it holds the node's xmin horizon (and, on a standby with
     * hot_standby_feedback, its primary's) until it is closed.
     */
    public OpenTransaction openTransaction(final String name) {
        try {
            final java.sql.Connection c = node(name).connect();
            c.setAutoCommit(false);
            c.setTransactionIsolation(java.sql.Connection.TRANSACTION_REPEATABLE_READ);
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT pg_backend_pid(), count(*) FROM pg_class")) {
                rs.next();
                return new OpenTransaction(c, rs.getInt(1));
            }
        } catch (final java.sql.SQLException e) {
            throw new SandboxException("Cannot open a transaction on " + name + ": " + e.getMessage(), e);
        }
    }

    /** Lever: a prepared transaction (two-phase commit) left behind on the primary; it holds the horizon. */
    public void prepareTransaction(final String gid) {
        try (var c = primary.connect(); var st = c.createStatement()) {
            st.execute("BEGIN");
            st.execute("SELECT txid_current()");
            st.execute("PREPARE TRANSACTION '" + gid.replace("'", "''") + "'");
        } catch (final java.sql.SQLException e) {
            throw new SandboxException("Cannot prepare a transaction on the primary: " + e.getMessage(), e);
        }
    }

    /** Ends a prepared transaction: COMMIT PREPARED or ROLLBACK PREPARED. */
    public void finishPrepared(final String gid, final boolean commit) {
        primary.execute((commit ? "COMMIT" : "ROLLBACK") + " PREPARED '" + gid.replace("'", "''") + "'");
    }

    /** Lever: hot_standby_feedback on or off on a standby (a reload): its queries' snapshots then hold the primary's horizon. */
    public void hotStandbyFeedback(final String standby, final boolean on) {
        requireStandby(standby).execute("ALTER SYSTEM SET hot_standby_feedback = " + (on ? "on" : "off"),
                "SELECT pg_reload_conf()");
    }

    /** Consumes {@code count} transaction ids on the primary (one per statement): a horizon held back ages. */
    public void consumeXids(final int count) {
        try (var c = primary.connect(); var st = c.createStatement()) {
            for (int i = 0; i < count; i++) {
                st.execute("SELECT txid_current()");
            }
        } catch (final java.sql.SQLException e) {
            throw new SandboxException("Cannot consume transaction ids on the primary: " + e.getMessage(), e);
        }
    }

    /**
     * Lever: a logical replication slot (test_decoding) on the primary that nothing consumes, as a CDC pipeline that
     * stopped leaves: it holds the WAL since its confirmed position and the catalog xmin.
     */
    public void createLogicalSlot(final String slot) {
        primary.execute("SELECT pg_create_logical_replication_slot('" + slotName(slot) + "', 'test_decoding')");
    }

    /**
     * Writes about {@code megabytes} MB in one transaction on the primary (rows of 1 kB), then empties the table: a
     * logical slot's decoding of it exceeds logical_decoding_work_mem (64 MB by default) and spills to disk.
     */
    public void writeInOneTransaction(final int megabytes) {
        primary.execute("CREATE TABLE IF NOT EXISTS replwatch_big (id bigint, payload text)",
                "INSERT INTO replwatch_big SELECT g, repeat(md5(g::text), 32) FROM generate_series(1, " + megabytes * 1024 + ") g",
                "TRUNCATE replwatch_big");
    }

    /** Consumes a logical slot's changes up to now (pg_logical_slot_get_changes), as its consumer would. */
    public void consumeLogicalSlot(final String slot) {
        primary.execute("SELECT count(*) FROM pg_logical_slot_get_changes('" + slotName(slot) + "', NULL, NULL)");
    }

    public void createSlot(final String slot) {
        primary.execute("SELECT pg_create_physical_replication_slot('" + slotName(slot) + "', true)");
    }

    public void dropSlot(final String slot) {
        primary.execute("SELECT pg_drop_replication_slot('" + slotName(slot) + "')");
    }

    /** WAL bytes the slot holds back on the primary (current LSN minus restart_lsn). */
    public long slotRetainedBytes(final String slot) {
        final String v = primary.queryOne("SELECT pg_current_wal_lsn() - restart_lsn FROM pg_replication_slots"
                + " WHERE slot_name = '" + slotName(slot) + "'");
        return v == null ? -1 : new java.math.BigDecimal(v).longValueExact();
    }

    private static String slotName(final String slot) {
        if (!slot.matches("[a-z0-9_]{1,63}")) {
            throw new SandboxException("Slot names are lower-case letters, digits and underscores (got '" + slot + "')");
        }
        return slot;
    }

    private PgNode requireStandby(final String name) {
        final PgNode n = node(name);
        if (!n.isStandby()) {
            throw new SandboxException(name + " is not a standby");
        }
        return n;
    }

    /** Re-points which node the cluster treats as primary (after a promotion and failover). */
    public void setPrimary(final String name) {
        primary = Objects.requireNonNull(node(name));
    }

    /** Stops every server (immediate: the data is thrown away) and removes the socket directory. */
    @Override
    public void close() {
        for (final PgNode sub : subscribers) {
            stopNode(sub, "immediate");
        }
        final List<PgNode> reversed = new ArrayList<>(nodes);
        Collections.reverse(reversed);
        for (final PgNode n : reversed) {
            stopNode(n, "immediate");
        }
        // A node that failed before it joined the list may still run.
        stopOrphans();
        try {
            Files.deleteIfExists(socketDir.resolve("pw"));
            Files.deleteIfExists(socketDir);
        } catch (final IOException e) {
            LOG.warn("Cannot remove {}: {}", socketDir, e.getMessage());
        }
    }

    private void stopOrphans() {
        final Path pgRoot = dir.resolve("pg");
        if (!Files.isDirectory(pgRoot)) {
            return;
        }
        try (var dirs = Files.list(pgRoot)) {
            dirs.filter(d -> Files.exists(d.resolve("postmaster.pid")))
                    .filter(d -> nodes.stream().noneMatch(n -> n.dataDir().equals(d))
                            && subscribers.stream().noneMatch(n -> n.dataDir().equals(d)))
                    .forEach(d -> OsCommand.run(OsCommand.asPostgres(List.of(bin.tool("pg_ctl"), "-D", d.toString(),
                            "-m", "immediate", "stop")), Map.of(), 60));
        } catch (final IOException e) {
            LOG.warn("Cannot list {}: {}", pgRoot, e.getMessage());
        }
    }
}
