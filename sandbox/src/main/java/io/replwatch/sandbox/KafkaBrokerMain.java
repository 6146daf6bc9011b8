package io.replwatch.sandbox;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Entry point of the child JVM that runs a single-node KRaft broker: formats the storage on first start, then
 * runs {@code kafka.Kafka}. When given a parent pid it halts as soon as that process exits, so a killed test
 * JVM leaves no broker behind.
 *
 * <p>Arguments: {@code server.properties cluster-id [parent-pid]}.
 */
public final class KafkaBrokerMain {

    private KafkaBrokerMain() {
    }

    public static void main(final String[] args) throws Exception {
        final String propsFile = args[0];
        final String clusterId = args[1];
        if (args.length > 2 && !args[2].isBlank()) {
            final long parent = Long.parseLong(args[2]);
            ProcessHandle.of(parent).ifPresentOrElse(
                    p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(0)),
                    () -> Runtime.getRuntime().halt(0));
        }
        final Properties props = new Properties();
        try (var in = Files.newInputStream(Path.of(propsFile))) {
            props.load(in);
        }
        final Path logDir = Path.of(props.getProperty("log.dirs"));
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            // StorageTool.main would exit the JVM; execute returns a status instead.
            final int rc = kafka.tools.StorageTool.execute(
                    new String[] {"format", "-t", clusterId, "-c", propsFile, "--standalone"}, new PrintStream(System.out));
            if (rc != 0) {
                System.err.println("Kafka storage format failed with status " + rc);
                Runtime.getRuntime().halt(3);
            }
        }
        kafka.Kafka.main(new String[] {propsFile});
    }
}
