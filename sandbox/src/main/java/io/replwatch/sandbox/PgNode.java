package io.replwatch.sandbox;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One PostgreSQL server of the sandbox cluster: its name (also its cluster_name and, for a standby, the
 * application_name it streams under), port, data directory and slot.
 */
public final class PgNode {

    public static final String SUPERUSER = "postgres";
    public static final String SUPERUSER_PASSWORD = "postgres";
    public static final String MONITOR_USER = "monitor";
    public static final String MONITOR_PASSWORD = "monitor";
    /** A login without pg_monitor: it sees NULL LSNs and states in pg_stat_replication. */
    public static final String UNPRIVILEGED_USER = "nomonitor";
    public static final String UNPRIVILEGED_PASSWORD = "nomonitor";
    public static final String REPLICATION_USER = "replicator";
    public static final String REPLICATION_PASSWORD = "replicator";

    private final String name;
    private final int port;
    private final Path dataDir;
    private final String slot;
    private volatile boolean standby;

    PgNode(final String name, final int port, final Path dataDir, final String slot, final boolean standby) {
        this.name = name;
        this.port = port;
        this.dataDir = dataDir;
        this.slot = slot;
        this.standby = standby;
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The physical slot this standby streams from on the primary; null for the primary. */
    public String slot() {
        return slot;
    }

    /** Whether it was started as a standby and has not been promoted through the sandbox. */
    public boolean isStandby() {
        return standby;
    }

    void promoted() {
        standby = false;
    }

    public String host() {
        return "127.0.0.1";
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** A new connection as the superuser. */
    public Connection connect() throws SQLException {
        return connect(SUPERUSER, SUPERUSER_PASSWORD);
    }

    public Connection connect(final String user, final String password) throws SQLException {
        final Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "60");
        p.setProperty("ApplicationName", "replwatch-sandbox");
        return DriverManager.getConnection(jdbcUrl(), p);
    }

    /** First column of the first row as text (null when no row), as the superuser. */
    public String queryOne(final String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (final SQLException e) {
            throw new SandboxException(name + ": " + sql + ": " + e.getMessage(), e);
        }
    }

    /** Every row as column name to text, as the superuser. */
    public List<Map<String, String>> query(final String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            final List<Map<String, String>> rows = new ArrayList<>();
            final int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                final Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= n; i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (final SQLException e) {
            throw new SandboxException(name + ": " + sql + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs statements (no result) as the superuser. On a standby a statement can be cancelled by a recovery
     * conflict (SQLSTATE 40001) while replay catches up: the statements are run again, up to three times.
     */
    public void execute(final String... sql) {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                for (final String q : sql) {
                    s.execute(q);
                }
                return;
            } catch (final SQLException e) {
                if (attempt < 3 && "40001".equals(e.getSQLState())) {
                    continue;
                }
                throw new SandboxException(name + ": " + String.join("; ", sql) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Whether the server accepts a connection now. */
    public boolean isUp() {
        try (Connection c = connect()) {
            return c.isValid(2);
        } catch (final SQLException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return name + (standby ? " (standby" + (slot == null ? "" : ", slot " + slot) + ")" : " (primary)") + " on "
                + jdbcUrl();
    }
}
