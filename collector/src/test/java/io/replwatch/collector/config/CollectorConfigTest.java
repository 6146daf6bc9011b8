package io.replwatch.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.runtime.config.InvalidConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorConfigTest {

    private static final String GOOD = """
            collector_id: c1
            poll_interval: 1s
            kafka:
              bootstrap.servers: 127.0.0.1:9092
              linger.ms: 5
            schema_registry:
              url: http://127.0.0.1:8081
              basic.auth.credentials.source: USER_INFO
              basic.auth.user.info: ${REG_AUTH}
            defaults:
              user: monitor
              password: ${PGPASSWORD}
              labels: {team: dba}
            clusters:
              - name: orders
                labels: {env: prod}
                nodes:
                  - {name: orders-1, host: 10.0.0.1}
                  - {name: orders-2, host: 10.0.0.2, port: 5433, sslmode: verify-full, labels: {az: b}}
            """;

    private static final Map<String, String> ENV = Map.of("PGPASSWORD", "pw", "REG_AUTH", "u:p");

    @Test
    void readsAValidConfigWithDefaultsAndEnvironment() {
        final CollectorConfig c = CollectorConfig.parse(GOOD, ENV::get);
        assertThat(c.collectorId()).isEqualTo("c1");
        assertThat(c.pollInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.statementTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.topic()).isEqualTo("replwatch.samples");
        assertThat(c.kafka()).containsEntry("linger.ms", "5");
        assertThat(c.registry()).containsEntry("schema.registry.url", "http://127.0.0.1:8081")
                .containsEntry("basic.auth.user.info", "u:p");
        assertThat(c.nodes()).hasSize(2);
        final NodeConfig n2 = c.nodes().get(1);
        assertThat(n2.cluster()).isEqualTo("orders");
        assertThat(n2.port()).isEqualTo(5433);
        assertThat(n2.user()).isEqualTo("monitor");
        assertThat(n2.password()).isEqualTo("pw");
        assertThat(n2.sslmode()).isEqualTo("verify-full");
        assertThat(n2.labels()).containsEntry("env", "prod").containsEntry("team", "dba").containsEntry("az", "b");
        assertThat(c.nodes().get(0).port()).isEqualTo(5432);
        assertThat(n2.toString()).doesNotContain("pw");
    }

    @Test
    void listsEveryProblemAtOnce() {
        final String bad = """
                poll_interval: 10ms
                max_concurrent_polls: zero
                pol_interval: 5s
                kafka: {}
                clusters:
                  - name: a
                    nodes:
                      - {name: n1, port: 70000, sslmode: sometimes, password: "${MISSING_SECRET}"}
                      - {name: n1, host: h}
                  - name: a
                    nodes: []
                """;
        assertThatThrownBy(() -> CollectorConfig.parse(bad, k -> null))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "pol_interval: unknown key (known: clusters, collector_id, connect_timeout, defaults, heartbeat_interval,"
                                + " http_bind, http_port, kafka, max_concurrent_polls, poll_interval, schema_registry,"
                                + " settings_refresh, statement_timeout, targets, topic)",
                        "poll_interval: must be at least 100ms (got 10ms)",
                        "max_concurrent_polls: must be a whole number (got 'zero')",
                        "kafka.bootstrap.servers: is required",
                        "schema_registry.url: is required",
                        "clusters[0].nodes[0].host: is required",
                        "clusters[0].nodes[0].port: must be 1 to 65535 (got 70000)",
                        "clusters[0].nodes[0].sslmode: must be one of [allow, disable, prefer, require, verify-ca,"
                                + " verify-full] (got 'sometimes')",
                        "clusters[0].nodes[0].user: is required (here or under defaults)",
                        "clusters[0].nodes[0].password: environment variable MISSING_SECRET is not set",
                        "clusters[0].nodes[1].name: duplicate node name 'n1' in cluster 'a'",
                        "clusters[0].nodes[1].user: is required (here or under defaults)",
                        "clusters[1].name: duplicate cluster name 'a'",
                        "clusters[1].nodes: needs at least one node (or a patroni section, whose members are found)"));
    }

    @Test
    void malformedYamlIsOneClearProblem() {
        assertThatThrownBy(() -> CollectorConfig.parse("clusters: [\n  - name: x\n", k -> null))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void passwordFileIsReadAndNeverQuoted(@TempDir final Path dir) throws Exception {
        final Path secret = dir.resolve("pw");
        Files.writeString(secret, "s3cret\n");
        final CollectorConfig c = CollectorConfig.parse(GOOD.replace("password: ${PGPASSWORD}",
                "password_file: " + secret), ENV::get);
        assertThat(c.nodes().get(0).password()).isEqualTo("s3cret");

        assertThatThrownBy(() -> CollectorConfig.parse(GOOD.replace("password: ${PGPASSWORD}",
                "password_file: " + dir.resolve("missing")), ENV::get))
                .hasMessageContaining("defaults.password_file: cannot read");
    }

    /**
     * Issue 17: the JDBC URL was built by concatenation, so a database of "postgres?sslmode=disable&options=..."
     * turned TLS off and overrode the read-only session; a host could carry a path or parameters too; a '/' in a
     * cluster or node name collides in the processor's state keys.
     */
    @Test
    void namesHostsAndDatabasesCannotCarrySeparators() {
        final String bad = """
                kafka: {bootstrap.servers: k:9092}
                schema_registry: {url: http://r:8081}
                clusters:
                  - name: orders/eu
                    nodes:
                      - {name: pg1, host: db1, user: u, database: "postgres?sslmode=disable&options=-c%20default_transaction_read_only=off"}
                      - {name: "pg 2", host: "db2/other?ssl=false", user: u}
                      - {name: pg3, host: "[fe80::1%eth0]", user: u}
                      - {name: pg4, host: 10.0.0.4, user: u, database: orders_eu}
                """;
        assertThatThrownBy(() -> CollectorConfig.parse(bad, k -> null))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "clusters[0].name: " + CollectorConfig.NAME_RULE + " (got 'orders/eu')",
                        "clusters[0].nodes[0].database: must be a database name without ? & = / # ; % or spaces "
                                + "(connection settings are keys of their own, such as sslmode)",
                        "clusters[0].nodes[1].name: " + CollectorConfig.NAME_RULE + " (got 'pg 2')",
                        "clusters[0].nodes[1].host: must be a host name or an IP address, nothing else (got 'db2/other?ssl=false')"));
    }

    @Test
    void aPatroniClusterNeedsNoNodesAndItsProblemsAreListedToo() {
        final CollectorConfig ok = CollectorConfig.parse("""
                kafka: {bootstrap.servers: "k:9092"}
                schema_registry: {url: "http://r:8081"}
                defaults: {user: monitor, password: pw, sslmode: require, labels: {env: prod}}
                clusters:
                  - name: billing
                    labels: {team: pay}
                    patroni:
                      endpoints: [http://10.0.0.1:8008, "https://[::1]:8008/"]
                      username: patroni
                      password: rest-secret
                      member_grace: 1m
                    nodes:
                      - {name: pg9, host: 10.0.0.9, port: 6432}
                """, k -> null);
        assertThat(ok.patroni()).hasSize(1);
        final PatroniConfig p = ok.patroni().get(0);
        assertThat(p.endpoints()).containsExactly("http://10.0.0.1:8008", "https://[::1]:8008/");
        assertThat(p.memberGrace()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(p.timeout()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(p.toString()).doesNotContain("rest-secret");
        final NodeConfig found = p.member("pg2", "10.0.0.2", 5432);
        assertThat(found.host()).isEqualTo("10.0.0.2");
        assertThat(found.user()).isEqualTo("monitor");
        assertThat(found.sslmode()).isEqualTo("require");
        assertThat(found.labels()).containsEntry("team", "pay").containsEntry("env", "prod");
        assertThat(p.member("pg9", "10.0.0.9", 5432).port()).as("a listed node's settings win").isEqualTo(6432);
        assertThat(ok.nodes()).extracting(NodeConfig::name).containsExactly("pg9");

        assertThatThrownBy(() -> CollectorConfig.parse("""
                kafka: {bootstrap.servers: "k:9092"}
                schema_registry: {url: "http://r:8081"}
                clusters:
                  - name: billing
                    patroni:
                      endpoints: ["10.0.0.1:8008", "http://user:pw@h:8008"]
                      password: x
                      ca_file: /nonexistent/ca.pem
                      timeout: 1ms
                      retries: 3
                """, k -> null)).isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                .containsExactlyInAnyOrder(
                        "clusters[0].patroni.retries: unknown key (known: ca_file, endpoints, member_grace, password,"
                                + " password_file, timeout, username)",
                        "clusters[0].patroni.endpoints: must be http:// or https:// with a host and port, no path or"
                                + " credentials (got '10.0.0.1:8008')",
                        "clusters[0].patroni.endpoints: must be http:// or https:// with a host and port, no path or"
                                + " credentials (got 'http://user:pw@h:8008')",
                        "clusters[0].patroni.username: is required with a password",
                        "clusters[0].patroni.ca_file: cannot read /nonexistent/ca.pem",
                        "clusters[0].patroni.timeout: must be at least 100ms (got 1ms)",
                        "clusters[0].patroni.endpoints: members found through Patroni connect with defaults.user, which"
                                + " is not set"));
    }
}
