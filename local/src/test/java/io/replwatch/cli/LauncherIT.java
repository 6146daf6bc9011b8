package io.replwatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ./replwatch launcher as a user runs it (issue 17): each service starts from its own module's classpath,
 * without the Kafka broker, Scala or Hadoop that only the sandbox and the lake need; the other commands keep the
 * command line's.
 */
class LauncherIT {

    private static final Path ROOT = Path.of(System.getProperty("replwatch.root", "."));

    private record Run(int exit, String out, String err) {
    }

    private static Run launch(final String... args) throws Exception {
        final List<String> cmd = new java.util.ArrayList<>(List.of(ROOT.resolve("replwatch").toString()));
        cmd.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile());
        pb.environment().put("REPLWATCH_NO_BUILD", "1");
        pb.environment().put("REPLWATCH_SHOW_CLASSPATH", "1");
        final Process p = pb.start();
        final byte[] out = p.getInputStream().readAllBytes();
        final byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void eachServiceRunsFromItsOwnClasspath(@TempDir final Path dir) throws Exception {
        final Path bad = Files.writeString(dir.resolve("bad.yaml"), "poll_interval: soon\n");
        for (final String service : List.of("collector", "processor", "alerter", "lake")) {
            final Run r = launch(service, "--config", bad.toString());
            assertThat(r.exit()).as(service + ": " + r.err()).isEqualTo(2);
            final String cp = r.err().lines().filter(l -> l.startsWith("replwatch: ")).findFirst().orElseThrow();
            assertThat(cp).as(service).contains("io.replwatch." + service + ".")
                    .doesNotContain("kafka_2.13").doesNotContain("scala-library").doesNotContain("replwatch-sandbox");
            if (!service.equals("lake")) {
                assertThat(cp).as(service).doesNotContain("hadoop").doesNotContain("parquet");
            }
            final long jars = cp.chars().filter(c -> c == ':').count() + 1;
            System.out.printf("LAUNCHER %s: %d classpath entries%n", service, jars);
        }
        final Run local = launch("tail", "--help");
        assertThat(local.exit()).isZero();
        assertThat(local.err()).contains("io.replwatch.cli.Main").contains("kafka_2.13");
    }
}
