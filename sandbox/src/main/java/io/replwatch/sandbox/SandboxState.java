package io.replwatch.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code sandbox status} and {@code sandbox down} know about a sandbox started by another process: its
 * state.json, plus what can be found on disk and in the process table when a crash left no state behind.
 */
public final class SandboxState {

    private final Path dir;
    private final JsonNode state;

    private SandboxState(final Path dir, final JsonNode state) {
        this.dir = dir;
        this.state = state;
    }

    /** The recorded state under {@code dir}; the node is empty when none was recorded. */
    public static SandboxState read(final Path dir) {
        final Path file = dir.resolve(Sandbox.STATE_FILE);
        try {
            final JsonNode node = Files.exists(file) ? new ObjectMapper().readTree(file.toFile())
                    : new ObjectMapper().createObjectNode();
            return new SandboxState(dir.toAbsolutePath(), node);
        } catch (final IOException e) {
            throw new SandboxException("Cannot read " + file + " (corrupt? `./replwatch sandbox down` removes it): "
                    + e.getMessage(), e);
        }
    }

    public boolean recorded() {
        return state.size() > 0;
    }

    public boolean exists() {
        return Files.isDirectory(dir);
    }

    public JsonNode raw() {
        return state;
    }

    /** Status of each component, and for PostgreSQL each standby's state and sync_state from pg_stat_replication. */
    public Map<String, Object> status() {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("dir", dir.toString());
        out.put("recorded", recorded());
        if (state.has("kafka")) {
            final JsonNode k = state.get("kafka");
            out.put("kafka", Map.of("state", alive(k.path("pid").asLong()) ? "running" : "stopped",
                    "bootstrap_servers", k.path("bootstrap_servers").asText(), "pid", k.path("pid").asLong()));
        }
        if (state.has("registry")) {
            final JsonNode r = state.get("registry");
            out.put("registry", Map.of("state", alive(r.path("pid").asLong()) ? "running" : "stopped",
                    "url", r.path("url").asText(), "pid", r.path("pid").asLong()));
        }
        if (state.has("postgres")) {
            final List<Map<String, Object>> nodes = new ArrayList<>();
            PgNode primary = null;
            for (final JsonNode n : state.get("postgres").path("nodes")) {
                final PgNode node = toNode(n);
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", node.name());
                m.put("jdbc_url", node.jdbcUrl());
                final boolean up = node.isUp();
                m.put("state", up ? "running" : "stopped");
                if (up) {
                    final boolean recovery = "t".equals(node.queryOne("SELECT pg_is_in_recovery()"));
                    m.put("role", recovery ? "standby" : "primary");
                    if (!recovery && primary == null) {
                        primary = node;
                    }
                }
                nodes.add(m);
            }
            if (primary != null) {
                final List<Map<String, String>> rows = primary.query("SELECT application_name, state, sync_state,"
                        + " (pg_current_wal_lsn() - replay_lsn)::bigint AS replay_lag_bytes FROM pg_stat_replication");
                for (final Map<String, Object> m : nodes) {
                    rows.stream().filter(r -> m.get("name").equals(r.get("application_name"))).findFirst()
                            .ifPresent(r -> {
                                m.put("replication_state", r.get("state"));
                                m.put("sync_state", r.get("sync_state"));
                                m.put("replay_lag_bytes", r.get("replay_lag_bytes") == null ? null
                                        : Long.parseLong(r.get("replay_lag_bytes")));
                            });
                }
            }
            out.put("postgres", Map.of("version", state.get("postgres").path("version").asInt(), "nodes", nodes));
        }
        return out;
    }

    private static PgNode toNode(final JsonNode n) {
        return new PgNode(n.path("name").asText(), n.path("port").asInt(), Path.of(n.path("data_dir").asText()),
                n.path("slot").isMissingNode() ? null : n.path("slot").asText(), "standby".equals(n.path("role").asText()));
    }

    /** Patroni members and etcd (command lines naming files under dir/patroni), then the postmasters they ran. */
    private void downPatroni(final List<String> done) {
        final Path root = dir.toAbsolutePath().resolve("patroni");
        if (!Files.isDirectory(root)) {
            return;
        }
        final String marker = root + "/";
        final List<ProcessHandle> procs = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(marker) && !c.contains("postgres -D")).orElse(false))
                .toList();
        final Map<ProcessHandle, String> what = new java.util.LinkedHashMap<>();
        procs.forEach(p -> what.put(p, p.info().command().orElse("").endsWith("etcd") ? "etcd" : "Patroni"));
        procs.forEach(ProcessHandle::destroy);
        for (final ProcessHandle p : procs) {
            try {
                p.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (final Exception e) {
                p.destroyForcibly();
            }
            done.add("stopped " + what.get(p) + " (pid " + p.pid() + ")");
        }
        try (var dirs = Files.list(root)) {
            for (final Path d : dirs.toList()) {
                Sandbox.postmasterPid(d.resolve("data")).filter(SandboxState::alive).ifPresent(pid -> {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    done.add("stopped PostgreSQL " + d.getFileName() + " (pid " + pid + ")");
                });
            }
        } catch (final IOException e) {
            throw new SandboxException("Cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    private static boolean alive(final long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * Stops everything the sandbox under {@code dir} runs, recorded or not (a crash may have left no state), and
     * removes the directory. Returns what it did, one line each.
     */
    public List<String> down() {
        final List<String> done = new ArrayList<>();
        downPatroni(done);
        final Path pgRoot = dir.resolve("pg");
        if (Files.isDirectory(pgRoot)) {
            PgBinaries bin;
            try {
                bin = state.has("postgres") ? new PgBinaries(Path.of(state.get("postgres").path("bin").asText()),
                        state.get("postgres").path("version").asInt()) : PgBinaries.detect(null);
            } catch (final SandboxException e) {
                bin = null;
            }
            try (var dirs = Files.list(pgRoot)) {
                for (final Path d : dirs.toList()) {
                    final var pid = Sandbox.postmasterPid(d);
                    if (pid.isPresent() && alive(pid.get())) {
                        if (bin != null) {
                            OsCommand.run(OsCommand.asPostgres(List.of(bin.tool("pg_ctl"), "-D", d.toString(), "-m",
                                    "immediate", "-w", "stop")), Map.of(), 60);
                        }
                        if (alive(pid.get())) {
                            ProcessHandle.of(pid.get()).ifPresent(ProcessHandle::destroyForcibly);
                        }
                        done.add("stopped PostgreSQL " + d.getFileName() + " (pid " + pid.get() + ")");
                    }
                }
            } catch (final IOException e) {
                throw new SandboxException("Cannot list " + pgRoot + ": " + e.getMessage(), e);
            }
        }
        final String marker = "-Dreplwatch.sandbox=" + dir;
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(marker + "/") || c.contains(marker + " ")
                        || c.endsWith(marker)).orElse(false))
                .forEach(p -> {
                    final String what = p.info().commandLine().orElse("").contains("KafkaBrokerMain") ? "Kafka"
                            : "schema registry";
                    p.destroy();
                    try {
                        p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (final Exception e) {
                        p.destroyForcibly();
                    }
                    done.add("stopped " + what + " (pid " + p.pid() + ")");
                });
        if (state.has("postgres")) {
            Sandbox.deleteTree(Path.of(state.get("postgres").path("socket_dir").asText()));
        }
        if (Files.exists(dir)) {
            Sandbox.deleteTree(dir);
            done.add("removed " + dir);
        }
        return done;
    }
}
