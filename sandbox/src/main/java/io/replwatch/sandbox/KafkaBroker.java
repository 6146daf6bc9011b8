package io.replwatch.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) in a child JVM on free loopback ports, with
 * replication factors of 1 so that transactions (exactly_once_v2) work. Ready when Admin.describeCluster answers.
 */
public final class KafkaBroker implements AutoCloseable {

    /** System properties named {@code replwatch.broker.<key>} set {@code <key>} in the broker's server.properties. */
    public static final String BROKER_PROPERTY_PREFIX = "replwatch.broker.";


    private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private Process process;

    KafkaBroker(final Path dir, final int port, final int controllerPort) {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /** Starts the broker under {@code dir} and waits until it answers; {@code watchParent} ties it to this JVM. */
    public static KafkaBroker start(final Path dir, final boolean watchParent, final Duration timeout) {
        for (int attempt = 1; ; attempt++) {
            final KafkaBroker broker = new KafkaBroker(dir, Ports.free(), Ports.free());
            try {
                broker.launch(watchParent, timeout);
                return broker;
            } catch (final SandboxException e) {
                // Another process may take a picked port before the broker binds it: pick again.
                if (attempt >= 3 || !e.getMessage().contains("already in use")) {
                    throw e;
                }
                LOG.warn("Kafka broker: {}; trying other ports", e.getMessage());
            }
        }
    }

    private void launch(final boolean watchParent, final Duration timeout) {
        Ports.requireFree(port, "Kafka broker");
        Ports.requireFree(controllerPort, "Kafka controller");
        try {
            Files.createDirectories(dir.resolve("data"));
            final Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", "1");
            p.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
            p.put("controller.listener.names", "CONTROLLER");
            p.put("inter.broker.listener.name", "PLAINTEXT");
            p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
            p.put("log.dirs", dir.resolve("data").toAbsolutePath().toString());
            p.put("num.partitions", "3");
            p.put("offsets.topic.replication.factor", "1");
            p.put("offsets.topic.num.partitions", "3");
            p.put("transaction.state.log.replication.factor", "1");
            p.put("transaction.state.log.min.isr", "1");
            p.put("transaction.state.log.num.partitions", "3");
            p.put("share.coordinator.state.topic.replication.factor", "1");
            p.put("share.coordinator.state.topic.min.isr", "1");
            p.put("group.initial.rebalance.delay.ms", "0");
            p.put("log.segment.bytes", String.valueOf(16 * 1024 * 1024));
            p.put("auto.create.topics.enable", "true");
            // Transactions v2 (Kafka 4) add a partition to the transaction on the produce path; the broker retries that
            // while the previous commit's markers are still being written, for this long (default 100 ms), before it
            // answers CONCURRENT_TRANSACTIONS and the producer retries (a burst of WARN lines, with the next in-flight
            // batches' OUT_OF_ORDER_SEQUENCE_NUMBER). On two busy cores a task's first commit takes longer than 100 ms.
            p.put("add.partitions.to.txn.retry.backoff.max.ms", "1000");
            // Any broker setting, for experiments: -Dreplwatch.broker.<key>=<value>.
            for (final String k : System.getProperties().stringPropertyNames()) {
                if (k.startsWith(BROKER_PROPERTY_PREFIX)) {
                    p.put(k.substring(BROKER_PROPERTY_PREFIX.length()), System.getProperty(k));
                }
            }
            final Path props = dir.resolve("server.properties");
            try (var out = Files.newOutputStream(props)) {
                p.store(out, "replwatch sandbox broker");
            }
            final Path logback = dir.resolve("logback.xml");
            Files.writeString(logback, """
                    <configuration>
                      <appender name="F" class="ch.qos.logback.core.FileAppender">
                        <file>%s</file>
                        <encoder><pattern>%%d{HH:mm:ss.SSS} %%-5level %%logger{36} - %%msg%%n</pattern></encoder>
                      </appender>
                      <root level="INFO"><appender-ref ref="F"/></root>
                    </configuration>
                    """.formatted(dir.resolve("broker.log").toAbsolutePath()));
            final String clusterId = Uuid.randomUuid().toString();
            process = ChildJvm.start(
                    List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                            "-Dlogback.configurationFile=" + logback.toAbsolutePath(),
                            "-Dreplwatch.sandbox=" + dir.toAbsolutePath()),
                    List.of(KafkaBrokerMain.class.getName(), props.toAbsolutePath().toString(), clusterId,
                            watchParent ? String.valueOf(ProcessHandle.current().pid()) : ""),
                    dir.resolve("stdout.log"), dir);
        } catch (final IOException e) {
            throw new SandboxException("Cannot prepare the Kafka broker in " + dir + ": " + e.getMessage(), e);
        }
        awaitReady(timeout);
        LOG.info("Kafka broker ready at {} (pid {})", bootstrapServers(), process.pid());
    }

    private void awaitReady(final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        final Map<String, Object> conf = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        try (Admin admin = Admin.create(conf)) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new SandboxException("Kafka broker exited with status " + process.exitValue()
                            + " during start" + (logMentions("Address already in use") ? " (a port is already in use)" : "")
                            + "; see " + dir.resolve("stdout.log") + " and " + dir.resolve("broker.log"));
                }
                try {
                    admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
                    return;
                } catch (final Exception notYet) {
                    sleepQuietly(100);
                }
            }
        }
        close();
        throw new SandboxException("Kafka broker did not answer within " + timeout.toSeconds() + " s; see "
                + dir.resolve("broker.log"));
    }

    private boolean logMentions(final String text) {
        for (final String f : List.of("stdout.log", "broker.log")) {
            try {
                if (Files.exists(dir.resolve(f)) && Files.readString(dir.resolve(f)).contains(text)) {
                    return true;
                }
            } catch (final IOException | java.io.UncheckedIOException e) {
                return false;
            }
        }
        return false;
    }

    static void sleepQuietly(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("Interrupted", e);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
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

    /** Stops the broker abruptly (as a crash would); {@link #restart} brings it back on the same ports and data. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts the broker again on the same ports and data directory. */
    public void restart(final boolean watchParent, final Duration timeout) {
        kill();
        launch(watchParent, timeout);
    }

    @Override
    public void close() {
        ChildJvm.stop(process);
    }
}
