package io.replwatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's contract without services: --help everywhere, bad configuration lists every problem, exit 2. */
class MainTest {

    @Test
    void everyCommandHasHelp() {
        for (final String[] cmd : new String[][] {{"--help"}, {"sandbox", "--help"}, {"sandbox", "up", "--help"},
                {"sandbox", "status", "--help"}, {"sandbox", "down", "--help"}, {"collector", "--help"}, {"processor", "--help"},
                {"alerter", "--help"}, {"local", "--help"}, {"lake", "--help"},
                {"capacity", "--help"}, {"tail", "--help"}, {"failover-check", "--help"}}) {
            final Cli.Run r = Cli.run(cmd);
            assertThat(r.exit()).as(String.join(" ", cmd)).isZero();
            assertThat(r.out()).as(String.join(" ", cmd)).contains("Usage: replwatch");
        }
    }

    @Test
    void badCollectorConfigListsEveryProblemAndExitsTwo(@TempDir final Path dir) throws Exception {
        final Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, """
                poll_interval: soon
                kafka: {}
                clusters:
                  - name: x
                    nodes:
                      - {name: a, port: 0, password: hunter2}
                """);
        final Cli.Run r = Cli.run("collector", "--config", cfg.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("poll_interval: Not a duration: 'soon'")
                .contains("kafka.bootstrap.servers: is required")
                .contains("schema_registry.url: is required")
                .contains("clusters[0].nodes[0].host: is required")
                .contains("clusters[0].nodes[0].port: must be 1 to 65535 (got 0)")
                .contains("clusters[0].nodes[0].user: is required")
                .doesNotContain("hunter2");
    }

    @Test
    void badProcessorConfigExitsTwo(@TempDir final Path dir) throws Exception {
        final Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "lag_window: 0s\nrules: {NOPE: {}}\n");
        final Cli.Run r = Cli.run("processor", "--config", cfg.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("lag_window: must be at least 1s").contains("rules.NOPE: unknown key")
                .contains("kafka.bootstrap.servers: is required");
    }

    @Test
    void badAlerterConfigExitsTwo(@TempDir final Path dir) throws Exception {
        final Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "route: {receiver: pager}\nreceivers: [{name: pager, type: pagerduty}]\n");
        final Cli.Run r = Cli.run("alerter", "--config", cfg.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("receivers[0].routing_key: is required")
                .contains("kafka.bootstrap.servers: is required");
    }

    @Test
    void unknownScenarioListsTheKnownOnesAndExitsTwo() {
        final Cli.Run r = Cli.run("local", "--scenario", "meteor-strike");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown scenario 'meteor-strike'").contains("replay-stall").contains("slot-bloat");
    }

    @Test
    void badLakeConfigListsEveryProblemAndExitsTwo(@TempDir final Path dir) throws Exception {
        final Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "tables: [samples, gossip]\noutput: {type: s3}\nroll: {max_bytes: lots}\ncompression: lz5\n");
        final Cli.Run r = Cli.run("lake", "--config", cfg.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown table 'gossip'").contains("output.bucket: is required")
                .contains("roll.max_bytes").contains("compression").contains("kafka.bootstrap.servers: is required");
    }

    @Test
    void missingConfigFileIsAClearProblem(@TempDir final Path dir) {
        final Cli.Run r = Cli.run("collector", "--config", dir.resolve("nope.yaml").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("cannot read the file");
    }

    @Test
    void unknownOptionsExitTwoWithUsage() {
        final Cli.Run r = Cli.run("tail");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required parameter").contains("Usage: replwatch tail");
    }

    @Test
    void statusWithoutASandboxSaysSo(@TempDir final Path dir) {
        final Cli.Run r = Cli.run("sandbox", "status", "--dir", dir.resolve("none").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("No sandbox recorded");
    }

    /** Every service validates its configuration with --check: 0 when valid (nothing started), 2 with every problem. */
    @Test
    void everyServiceHasCheck(@TempDir final Path dir) throws Exception {
        final String kafka = "kafka: {bootstrap.servers: \"127.0.0.1:1\"}\nschema_registry: {url: \"http://127.0.0.1:1\"}\n";
        final Path processor = Files.writeString(dir.resolve("processor.yaml"), kafka + "rules: {LAG_TIME: {warning: 90s}}\n");
        final Cli.Run ok = Cli.run("processor", "--config", processor.toString(), "--check");
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("valid");
        final Path badProcessor = Files.writeString(dir.resolve("bad-processor.yaml"), kafka + "rules: {LAG_TIME: {warning: 60}}\n");
        final Cli.Run bad = Cli.run("processor", "--config", badProcessor.toString(), "--check");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("rules.LAG_TIME.warning: '60' has no unit: write a duration such as 60s or 5m");
        final Path lake = Files.writeString(dir.resolve("lake.yaml"), kafka + "output: {type: local, path: \"" + dir + "/lake\"}\n");
        final Cli.Run lakeOk = Cli.run("lake", "--config", lake.toString(), "--check");
        assertThat(lakeOk.exit()).as(lakeOk.err()).isZero();
        assertThat(lakeOk.out()).contains("valid");
        final Path badLake = Files.writeString(dir.resolve("bad-lake.yaml"), kafka + "output: {type: tape}\n");
        assertThat(Cli.run("lake", "--config", badLake.toString(), "--check").exit()).isEqualTo(2);
    }
}
