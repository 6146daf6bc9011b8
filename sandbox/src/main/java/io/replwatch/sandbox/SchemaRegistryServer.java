package io.replwatch.sandbox;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apicurio Registry 2.6 (in-memory storage) in a child JVM on a free loopback port, exposing Confluent's REST API
 * at {@code /apis/ccompat/v7}. Global compatibility is set to BACKWARD at start, as Confluent's default.
 *
 * <p>The runner is located through the system property {@code replwatch.apicurio.home}, else
 * {@code sandbox/target/apicurio} below the working directory or its parent (where the build unpacks it).
 */
public final class SchemaRegistryServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
    public static final String HOME_PROPERTY = "replwatch.apicurio.home";

    private final Path dir;
    private final int port;
    private Process process;

    private SchemaRegistryServer(final Path dir, final int port) {
        this.dir = dir;
        this.port = port;
    }

    public static SchemaRegistryServer start(final Path dir, final Duration timeout) {
        for (int attempt = 1; ; attempt++) {
            final SchemaRegistryServer s = new SchemaRegistryServer(dir, Ports.free());
            try {
                s.launch(timeout);
                return s;
            } catch (final SandboxException e) {
                // A port taken between choosing and binding, or an exit during start-up seen once in CI whose log was
                // gone with its directory: start again on another port, with the log's last lines said.
                if (attempt >= 3 || !(e.getMessage().contains("exited with status")
                        || e.getMessage().contains("already in use"))) {
                    throw e;
                }
                LOG.warn("Schema registry: {}; last log lines: {}; starting it again on another port", e.getMessage(),
                        s.logTail(5));
            }
        }
    }

    /** The Apicurio runner jar, or a SandboxException that says how to get it. */
    public static Path runnerJar() {
        final String home = System.getProperty(HOME_PROPERTY, System.getenv("REPLWATCH_APICURIO_HOME"));
        final List<Path> candidates = home != null ? List.of(Path.of(home))
                : List.of(Path.of("sandbox/target/apicurio"), Path.of("../sandbox/target/apicurio"),
                        Path.of("target/apicurio"));
        for (final Path c : candidates) {
            if (Files.isDirectory(c)) {
                try (Stream<Path> files = Files.list(c)) {
                    final var jar = files.filter(f -> f.getFileName().toString().endsWith("-runner.jar")).findFirst();
                    if (jar.isPresent()) {
                        return jar.get().toAbsolutePath();
                    }
                } catch (final IOException e) {
                    throw new SandboxException("Cannot read " + c + ": " + e.getMessage(), e);
                }
            }
        }
        throw new SandboxException("Apicurio Registry runner not found in " + candidates + ". Build the sandbox"
                + " module first (`mvn -pl sandbox -am package -DskipTests` unpacks it into sandbox/target/apicurio),"
                + " or set -D" + HOME_PROPERTY + " to the unpacked directory");
    }

    private void launch(final Duration timeout) {
        Ports.requireFree(port, "Schema registry");
        final Path jar = runnerJar();
        try {
            Files.createDirectories(dir);
        } catch (final IOException e) {
            throw new SandboxException("Cannot create " + dir + ": " + e.getMessage(), e);
        }
        final ProcessBuilder pb = new ProcessBuilder(ChildJvm.javaBinary(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.log.level=WARN",
                "-Dquarkus.log.category.\"io.apicurio\".level=WARN",
                // The transaction manager otherwise opens a socket to derive a process id.
                "-DCoreEnvironmentBean.processImplementationClassName="
                        + "com.arjuna.ats.internal.arjuna.utils.UuidProcessId",
                "-Dreplwatch.sandbox=" + dir.toAbsolutePath(),
                "-jar", jar.toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("registry.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            process = pb.start();
        } catch (final IOException e) {
            throw new SandboxException("Cannot start the schema registry: " + e.getMessage(), e);
        }
        awaitReady(timeout);
        LOG.info("Schema registry ready at {} (pid {})", url(), process.pid());
    }

    private void awaitReady(final Duration timeout) {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new SandboxException("Schema registry exited with status " + process.exitValue()
                        + " during start" + (logMentions("Address already in use") ? " (its port is already in use)" : "")
                        + "; see " + dir.resolve("registry.log"));
            }
            try {
                final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/config"))
                        .timeout(Duration.ofSeconds(2))
                        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"BACKWARD\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (final IOException notYet) {
                // not listening yet
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("Interrupted", e);
            }
            KafkaBroker.sleepQuietly(100);
        }
        close();
        throw new SandboxException("Schema registry did not answer within " + timeout.toSeconds() + " s; see "
                + dir.resolve("registry.log"));
    }

    private String logTail(final int lines) {
        try {
            final List<String> all = Files.readAllLines(dir.resolve("registry.log"));
            return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (final IOException | java.io.UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private boolean logMentions(final String text) {
        try {
            return Files.exists(dir.resolve("registry.log")) && Files.readString(dir.resolve("registry.log")).contains(text);
        } catch (final IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    /** Confluent-compatible base URL. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process == null ? -1 : process.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() {
        ChildJvm.stop(process);
    }
}
