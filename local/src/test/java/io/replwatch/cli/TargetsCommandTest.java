package io.replwatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What `replwatch targets` does before it needs Kafka: a bad file is refused whole, with every problem. */
class TargetsCommandTest {

    @TempDir
    Path dir;

    @Test
    void aFileWithProblemsListsThemAllAndPublishesNothing() throws Exception {
        final Path f = dir.resolve("t.yaml");
        Files.writeString(f, """
                clusters:
                  - name: a
                    nodes: [{name: n, host: h, user: u, password: secret-value}]
                  - name: a
                    nodes: [{name: n, host: h}]
                """);
        // Kafka is never reached: an unroutable bootstrap would time out, not exit 2 at once.
        final Cli.Run run = Cli.run("targets", "apply", f.toString(), "--bootstrap", "192.0.2.1:9092");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("(3 problems)").contains("clusters[0].nodes[0].password: secrets stay out of Kafka")
                .contains("clusters[1].name: duplicate cluster name 'a'").contains("clusters[1].nodes[0].user: is required")
                .contains("Nothing was published.").doesNotContain("secret-value");
    }

    @Test
    void helpNamesTheSubcommands() {
        final Cli.Run run = Cli.run("targets", "--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("apply").contains("list");
    }
}
