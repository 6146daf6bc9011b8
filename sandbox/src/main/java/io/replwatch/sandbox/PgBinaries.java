package io.replwatch.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where PostgreSQL's server binaries live. Debian's packages put each major under
 * {@code /usr/lib/postgresql/N/bin}; {@code REPLWATCH_PG_BIN} or {@code -Dreplwatch.pg.bin} overrides.
 */
public record PgBinaries(Path bin, int majorVersion) {

    public static final String BIN_PROPERTY = "replwatch.pg.bin";

    /** The requested major, or the newest installed when {@code major} is null. */
    public static PgBinaries detect(final Integer major) {
        final String override = System.getProperty(BIN_PROPERTY, System.getenv("REPLWATCH_PG_BIN"));
        if (override != null) {
            final Path bin = Path.of(override);
            requireTools(bin);
            return new PgBinaries(bin, versionOf(bin));
        }
        final Path root = Path.of("/usr/lib/postgresql");
        final List<PgBinaries> found;
        if (Files.isDirectory(root)) {
            try (Stream<Path> dirs = Files.list(root)) {
                found = dirs.filter(d -> d.getFileName().toString().matches("\\d+"))
                        .map(d -> d.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("postgres")))
                        .map(b -> new PgBinaries(b, Integer.parseInt(b.getParent().getFileName().toString())))
                        .sorted(Comparator.comparingInt(PgBinaries::majorVersion).reversed())
                        .toList();
            } catch (final IOException e) {
                throw new SandboxException("Cannot list " + root + ": " + e.getMessage(), e);
            }
        } else {
            found = List.of();
        }
        final Optional<PgBinaries> pick = major == null ? found.stream().findFirst()
                : found.stream().filter(b -> b.majorVersion() == major).findFirst();
        if (pick.isPresent()) {
            return pick.get();
        }
        if (!"false".equals(System.getProperty("replwatch.pg.zonky"))) {
            // Not installed here: the same server binaries from Maven Central.
            try {
                return ZonkyBinaries.get(major == null ? ZonkyBinaries.DEFAULT_MAJOR : major);
            } catch (final SandboxException e) {
                throw new SandboxException("PostgreSQL " + (major == null ? "" : major + " ") + "server binaries are"
                        + " not installed (looked in " + root + "/*/bin) and the fallback failed: " + e.getMessage()
                        + ". Install them with `apt-get update && apt-get install -y postgresql`, or point -D"
                        + BIN_PROPERTY + " at a bin directory holding initdb, pg_ctl and postgres", e);
            }
        }
        return pick.orElseThrow(() -> new SandboxException("PostgreSQL " + (major == null ? "" : major + " ")
                + "server binaries not found (looked in " + root + "/*/bin" + (found.isEmpty() ? ""
                : ", found majors " + found.stream().map(b -> String.valueOf(b.majorVersion())).toList())
                + "). Install them with `apt-get update && apt-get install -y postgresql`, or point -D"
                + BIN_PROPERTY + " (REPLWATCH_PG_BIN) at a bin directory holding initdb, pg_ctl and postgres"));
    }

    private static void requireTools(final Path bin) {
        for (final String tool : List.of("initdb", "pg_ctl", "postgres")) {
            if (!Files.isExecutable(bin.resolve(tool))) {
                throw new SandboxException("No executable " + tool + " in " + bin + " (set by " + BIN_PROPERTY + ")");
            }
        }
    }

    private static int versionOf(final Path bin) {
        final String out = OsCommand.check(List.of(bin.resolve("postgres").toString(), "--version"),
                java.util.Map.of(), 10, "postgres --version");
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(\\.\\d+)?").matcher(out);
        if (!m.find()) {
            throw new SandboxException("Cannot read the version of " + bin + ": " + out);
        }
        return Integer.parseInt(m.group(1));
    }

    public String tool(final String name) {
        return bin.resolve(name).toString();
    }

    /** Whether pg_basebackup can clone this server (Debian ships it beside the server). */
    public boolean hasBasebackup() {
        return Files.isExecutable(bin.resolve("pg_basebackup"));
    }
}
