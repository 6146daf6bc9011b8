package io.replwatch.alerter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.alerter.cli.AlerterCommand;
import io.replwatch.runtime.config.InvalidConfigException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AlerterConfigTest {

    static final String BAD = """
            kafka: {bootstrap.servers: "localhost:9092"}
            schema_registry: {url: "mock://cfg"}
            route:
              receiver: nobody
              group_wait: soon
              routes:
                - matchers: ['cluster=~"("']
                  receiver: slack-typo
            receivers:
              - {name: chat, type: slack}
              - {name: pager, type: pagerduty, url: "https://events.example.com/x?token=SECRET-IN-URL", rate_limit: fast}
              - {name: hook, type: webhook, url: "ftp://hooks.example.com/T0/SECRET-PATH", format: xml}
              - {name: mystery, type: carrier-pigeon}
            inhibit_rules:
              - {source_matchers: ['severity="DOWN"']}
            silences:
              - {matchers: ['node="pg-1"']}
            """;

    @Test
    void everyProblemIsListedAndNoSecretIsQuoted() {
        assertThatThrownBy(() -> AlerterConfig.parse(BAD, k -> null))
                .isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> {
                    final String m = e.getMessage();
                    assertThat(m).contains("route.receiver: names no receiver: 'nobody'");
                    assertThat(m).contains("route.group_wait");
                    assertThat(m).contains("route.routes[0].matchers[0]").contains("bad regex");
                    assertThat(m).contains("route.routes[0].receiver: names no receiver: 'slack-typo'");
                    assertThat(m).contains("receivers[0].url: is required");
                    assertThat(m).contains("receivers[1].routing_key: is required");
                    assertThat(m).contains("receivers[1].rate_limit");
                    assertThat(m).contains("receivers[2].url: must be an http:// or https:// URL");
                    assertThat(m).contains("receivers[2].format");
                    assertThat(m).contains("receivers[3].type: unknown receiver type 'carrier-pigeon'");
                    assertThat(m).contains("inhibit_rules[0].target_matchers");
                    assertThat(m).contains("silences[0].ends_at: is required");
                    assertThat(m).doesNotContain("SECRET");
                });
    }

    @Test
    void commandExitsTwoAndPrintsTheProblems(@TempDir final Path dir) throws Exception {
        final Path f = dir.resolve("alerter.yaml");
        Files.writeString(f, BAD);
        final StringWriter err = new StringWriter();
        final CommandLine cmd = new CommandLine(new AlerterCommand());
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute("--config", f.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("carrier-pigeon").contains("routing_key").doesNotContain("SECRET");
    }

    @Test
    void checkAcceptsAValidFile(@TempDir final Path dir) throws Exception {
        final Path f = dir.resolve("alerter.yaml");
        Files.writeString(f, """
                kafka: {bootstrap.servers: "localhost:9092"}
                schema_registry: {url: "mock://cfg"}
                route: {receiver: console, routes: [{matchers: ['severity="DOWN"'], receiver: hook}]}
                receivers:
                  - {name: console, type: console}
                  - {name: hook, type: webhook, url: "https://hooks.example.com/x"}
                """);
        final StringWriter out = new StringWriter();
        final CommandLine cmd = new CommandLine(new AlerterCommand());
        cmd.setOut(new PrintWriter(out));
        assertThat(cmd.execute("--config", f.toString(), "--check")).isZero();
        assertThat(out.toString()).contains("valid (2 receiver(s), 2 route(s))");
    }

    @Test
    void theExampleConfigIsValid() {
        final Path example = Path.of(System.getProperty("replwatch.root", ".."), "examples", "alerter.yaml");
        final AlerterConfig c = AlerterConfig.from(io.replwatch.runtime.config.ConfigNode.load(example,
                k -> k.equals("KAFKA_BOOTSTRAP") || k.equals("SCHEMA_REGISTRY_URL") ? "http://localhost:1" : "https://hooks.example.com/x"), System.out);
        assertThat(c.receivers()).isNotEmpty();
    }

    /** Issue 17: NaN was accepted as a rate; a short token or both token and token_file are problems. */
    @Test
    void nanRatesAndWeakTokensAreProblems() {
        assertThatThrownBy(() -> AlerterConfig.parse("""
                kafka: {bootstrap.servers: "localhost:9092"}
                schema_registry: {url: "mock://cfg"}
                route: {receiver: hook}
                receivers:
                  - {name: hook, type: webhook, url: "https://hooks.example.com/x", rate_limit: NaN}
                api: {token: short, token_file: /nonexistent}
                """, k -> null))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .anyMatch(p -> p.startsWith("receivers[0].rate_limit: must be 0 (none) or a number"))
                        .anyMatch(p -> p.equals("api.token: give token or token_file, not both"))
                        .noneMatch(p -> p.contains("short")));
        final AlerterConfig ok = AlerterConfig.parse("""
                kafka: {bootstrap.servers: "localhost:9092"}
                schema_registry: {url: "mock://cfg"}
                route: {receiver: hook}
                receivers: [{name: hook, type: webhook, url: "https://hooks.example.com/x"}]
                api: {token: "0123456789abcdef-secret"}
                """, k -> null);
        assertThat(ok.api().writesEnabled()).isTrue();
        assertThat(ok.toString()).doesNotContain("0123456789abcdef-secret");
        assertThat(ok.httpBind()).isEqualTo("127.0.0.1");
    }
}
