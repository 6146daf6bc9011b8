package io.replwatch.collector.poll;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.ReplicationSettings;
import io.replwatch.collector.config.NodeConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls one node over one persistent JDBC connection: one SQL round trip per poll, the statement chosen by the
 * server's version on connect. Every poll yields a sample, failed or not. A lost connection is made anew with
 * exponential backoff and jitter; polls that fall inside the backoff yield a failure sample at once, without
 * touching the network, so an unreachable node is reported every interval.
 *
 * <p>Not thread-safe: the scheduler runs at most one poll of a node at a time ({@link #tryStart()}).
 */
public final class NodePoller implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodePoller.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    static {
        io.replwatch.serde.AvroTrust.init();
    }

    private final NodeConfig node;
    private final String collectorId;
    private final Duration connectTimeout;
    private final Duration statementTimeout;
    private final Duration settingsRefresh;
    private final LongSupplier clock;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean();
    /** No longer polled (removed, moved to another collector): a poll still running publishes nothing. */
    private volatile boolean dropped;

    private Connection connection;
    private PreparedStatement poll;
    private PreparedStatement pollWithSettings;
    private int serverVersion;
    private long systemIdentifier;
    /** Whether the user may list the archive status directory (pg_monitor): read on connect. */
    private boolean listArchiveStatus;
    private ReplicationSettings settings;
    private long settingsDueAt;
    private int consecutiveFailures;
    private long nextConnectAt;
    private PollFailure lastFailure;
    private volatile boolean reachable;
    /** Whether the current connection is encrypted (TLS); null while not connected. */
    private volatile Boolean encrypted;
    private boolean warnedPlain;
    private volatile long lastPollNanos;

    public NodePoller(final NodeConfig node, final String collectorId, final Duration connectTimeout,
                      final Duration statementTimeout, final Duration settingsRefresh, final LongSupplier clock) {
        this.node = node;
        this.collectorId = collectorId;
        this.connectTimeout = connectTimeout;
        this.statementTimeout = statementTimeout;
        this.settingsRefresh = settingsRefresh;
        this.clock = clock;
    }

    public NodeConfig node() {
        return node;
    }

    /** Round-trip time of the last poll in nanoseconds (connecting excluded). */
    public long lastPollNanos() {
        return lastPollNanos;
    }

    /** Whether the last poll succeeded in reaching the server. */
    public boolean reachable() {
        return reachable;
    }

    /** Claims the node for one poll; false when the previous poll still runs (the caller counts a skip). */
    public boolean tryStart() {
        return running.compareAndSet(false, true);
    }

    /** Releases the claim taken by {@link #tryStart()}: after the poll's sample is handed over, or without polling. */
    public void release() {
        running.set(false);
    }

    /** The next sequence number, for a sample made outside {@link #poll()} (the node's last, when it is dropped). */
    public long nextSequence() {
        return sequence.incrementAndGet();
    }

    public void markDropped() {
        dropped = true;
    }

    public boolean dropped() {
        return dropped;
    }

    /** One poll: always a sample, OK or saying why not. */
    public ReplicationSample poll() {
        final long start = clock.getAsLong();
        long t0 = System.nanoTime();
        final ReplicationSample.Builder b = ReplicationSample.newBuilder()
                .setCluster(node.cluster())
                .setNode(node.name())
                .setCollectorId(collectorId)
                .setSequence(sequence.incrementAndGet())
                .setSampledAt(Instant.ofEpochMilli(start))
                .setLabels(node.labels())
                .setStatus(PollStatus.OK);
        try {
            if (connection == null) {
                if (start < nextConnectAt && lastFailure != null) {
                    return failed(b, t0, new PollFailure(lastFailure.status(), lastFailure.message()
                            + " (next attempt in " + (nextConnectAt - start) + " ms)"), false);
                }
                connect();
                // poll_duration_ms is the poll's round trip; connecting is logged, not timed as a poll.
                t0 = System.nanoTime();
            }
            final boolean withSettings = settings == null || start >= settingsDueAt;
            final PreparedStatement ps = withSettings ? pollWithSettings : poll;
            try (ResultSet rs = executeOnce(ps)) {
                if (!rs.next()) {
                    throw new SQLException("poll returned no row");
                }
                SampleMapper.map(rs, b);
                b.setSystemIdentifier(systemIdentifier);
                if (withSettings) {
                    settings = SampleMapper.settings(rs, start);
                    settingsDueAt = start + settingsRefresh.toMillis();
                }
                b.setSettings(settings);
                if (!rs.getBoolean("has_monitor")) {
                    final String user = rs.getString("current_user");
                    reachable = true;
                    return failed(b, t0, new PollFailure(PollStatus.PERMISSION_DENIED, "user '" + user
                            + "' lacks pg_monitor, so replication positions and states read as NULL: run"
                            + " GRANT pg_monitor TO " + user + ";"), true);
                }
            }
            consecutiveFailures = 0;
            lastFailure = null;
            reachable = true;
            lastPollNanos = System.nanoTime() - t0;
            b.setPollDurationMs(lastPollNanos / 1_000_000);
            return b.build();
        } catch (final SQLException | RuntimeException e) {
            final PollFailure failure = PollFailure.of(e, node.address());
            if (failure.dropsConnection()) {
                closeConnection();
                consecutiveFailures++;
                final long backoff = backoffMillis(consecutiveFailures);
                nextConnectAt = clock.getAsLong() + backoff;
                if (lastFailure == null || lastFailure.status() != failure.status()) {
                    LOG.warn("{}/{}: {} ({}); retrying with backoff, next in {} ms", node.cluster(), node.name(),
                            failure.status(), failure.message(), backoff);
                }
            }
            lastFailure = failure;
            reachable = failure.status() == PollStatus.PERMISSION_DENIED;
            return failed(b, t0, failure, failure.status() == PollStatus.PERMISSION_DENIED);
        }
    }

    /**
     * Runs the poll statement, once more if a standby's replay cancelled it (SQLSTATE 40001, "conflict with
     * recovery": the startup process needed what the statement held). That is the standby working, not the monitoring
     * failing: seen on real standbys catching up after a delay was lifted, it made a false MONITORING_FAILED.
     */
    private ResultSet executeOnce(final PreparedStatement ps) throws SQLException {
        try {
            return ps.executeQuery();
        } catch (final SQLException e) {
            if (!"40001".equals(e.getSQLState())) {
                throw e;
            }
            LOG.debug("{}/{}: poll cancelled by a recovery conflict; polling again", node.cluster(), node.name());
            return ps.executeQuery();
        }
    }

    private ReplicationSample failed(final ReplicationSample.Builder b, final long t0, final PollFailure failure,
                                     final boolean keepFacts) {
        lastPollNanos = System.nanoTime() - t0;
        b.setStatus(failure.status()).setMessage(failure.message()).setPollDurationMs(lastPollNanos / 1_000_000);
        if (!keepFacts) {
            b.setReplicas(java.util.List.of()).setSlots(java.util.List.of());
        }
        return b.build();
    }

    /** 1 s, 2 s, 4 s ... up to 30 s, each with ±20 % jitter so a fleet does not reconnect in lockstep. */
    static long backoffMillis(final int failures) {
        final long base = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(failures - 1, 20));
        final double jitter = 0.8 + ThreadLocalRandom.current().nextDouble() * 0.4;
        return (long) (base * jitter);
    }

    private void connect() throws SQLException {
        final Properties p = new Properties();
        p.setProperty("user", node.user());
        if (node.password() != null) {
            p.setProperty("password", node.password());
        }
        final int connectSeconds = (int) Math.max(1, (connectTimeout.toMillis() + 999) / 1000);
        p.setProperty("connectTimeout", String.valueOf(connectSeconds));
        p.setProperty("loginTimeout", String.valueOf(connectSeconds));
        // The client-side socket deadline backs up statement_timeout when the peer stops answering altogether.
        p.setProperty("socketTimeout", String.valueOf(Math.max(1, (statementTimeout.toMillis() + 2999) / 1000)));
        p.setProperty("ApplicationName", "replwatch-collector");
        p.setProperty("options", "-c statement_timeout=" + statementTimeout.toMillis()
                + " -c lock_timeout=" + statementTimeout.toMillis() + " -c default_transaction_read_only=on"
                + " -c TimeZone=UTC");
        p.setProperty("sslmode", node.sslmode());
        if (node.sslrootcert() != null) {
            p.setProperty("sslrootcert", node.sslrootcert());
        }
        if (node.sslcert() != null) {
            p.setProperty("sslcert", node.sslcert());
        }
        if (node.sslkey() != null) {
            p.setProperty("sslkey", node.sslkey());
        }
        p.setProperty("tcpKeepAlive", "true");
        final String url = "jdbc:postgresql://" + hostForUrl(node.host()) + ":" + node.port() + "/" + node.database();
        final Connection c = DriverManager.getConnection(url, p);
        try {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT current_setting('server_version_num')::int,"
                            + " (SELECT system_identifier FROM pg_control_system()),"
                            + " coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false),"
                            + " coalesce(has_function_privilege(to_regprocedure('pg_ls_archive_statusdir()'), 'EXECUTE'),"
                            + " false)")) {
                rs.next();
                serverVersion = rs.getInt(1);
                systemIdentifier = rs.getLong(2);
                encrypted = rs.getBoolean(3);
                listArchiveStatus = rs.getBoolean(4);
            }
            if (!encrypted && !warnedPlain) {
                // Once per node and collector run: the monitoring password and every sample cross the network in
                // the clear. Counted in replwatch_collector_nodes_unencrypted.
                warnedPlain = true;
                LOG.warn("{}/{}: polled WITHOUT encryption (sslmode {}): set sslmode verify-full and sslrootcert",
                        node.cluster(), node.name(), node.sslmode());
            }
            if (serverVersion < PollQuery.MIN_VERSION_NUM) {
                throw new SQLException("PostgreSQL "
                        + serverVersion + " is not supported: replwatch needs PostgreSQL 10 or later", "0A000");
            }
            poll = c.prepareStatement(PollQuery.sql(serverVersion, false, listArchiveStatus));
            pollWithSettings = c.prepareStatement(PollQuery.sql(serverVersion, true, listArchiveStatus));
            connection = c;
            settings = null;
            LOG.info("{}/{}: connected to {} (server_version_num {})", node.cluster(), node.name(), node.address(),
                    serverVersion);
        } catch (final SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static String hostForUrl(final String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** Whether the connection is encrypted; null while there is none. */
    public Boolean encrypted() {
        return encrypted;
    }

    public int serverVersion() {
        return serverVersion;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (final SQLException ignored) {
                // Closing a broken connection may fail; it is gone either way.
            }
            connection = null;
            encrypted = null;
            poll = null;
            pollWithSettings = null;
        }
    }

    @Override
    public void close() {
        closeConnection();
    }
}
