package io.replwatch.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs PostgreSQL's tools, as the postgres OS user when this JVM runs as root (PostgreSQL refuses root). */
final class OsCommand {

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
    static final String PG_OS_USER = "postgres";

    private OsCommand() {
    }

    static boolean runningAsRoot() {
        return ROOT;
    }

    /** The command prefixed with {@code runuser -u postgres --} when needed. */
    static List<String> asPostgres(final List<String> command) {
        if (!ROOT) {
            return command;
        }
        final List<String> cmd = new ArrayList<>(List.of("runuser", "-u", PG_OS_USER, "--"));
        cmd.addAll(command);
        return cmd;
    }

    record Result(int exit, String output) {
    }

    /** Runs and waits; output is merged stdout and stderr. */
    static Result run(final List<String> command, final Map<String, String> env, final long timeoutSeconds) {
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .directory(Path.of("/tmp").toFile());
        pb.environment().putAll(env);
        try {
            final Process p = pb.start();
            p.getOutputStream().close();
            final byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new SandboxException("Timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
        } catch (final IOException e) {
            throw new SandboxException("Cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("Interrupted running " + String.join(" ", command), e);
        }
    }

    /** Runs and fails with the command's own output when it exits non-zero. */
    static String check(final List<String> command, final Map<String, String> env, final long timeoutSeconds,
                        final String what) {
        final Result r = run(command, env, timeoutSeconds);
        if (r.exit() != 0) {
            throw new SandboxException(what + " failed (exit " + r.exit() + "): " + r.output());
        }
        return r.output();
    }

    /** Makes {@code path} (recursively) owned by the postgres OS user when running as root. */
    static void chownToPostgres(final Path path) {
        if (ROOT) {
            check(List.of("chown", "-R", PG_OS_USER + ":", path.toString()), Map.of(), 60, "chown " + path);
        }
    }
}
