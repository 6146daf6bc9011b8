package io.replwatch.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.avro.ClusterTarget;
import io.replwatch.avro.TargetNode;
import io.replwatch.collector.targets.TargetsTopic;
import io.replwatch.runtime.config.InvalidConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetsFileTest {

    /** Builders copy the generated records, which Avro allows only for trusted classes (whichever test runs first). */
    @BeforeAll
    static void trust() {
        io.replwatch.serde.AvroTrust.init();
    }

    @TempDir
    Path dir;

    private static final String GOOD = """
            defaults: {user: monitor, credential: fleet, sslmode: require, labels: {team: dba}}
            clusters:
              - name: orders
                labels: {env: prod}
                poll_interval: 2s
                nodes:
                  - {name: orders-1, host: 10.0.0.1}
                  - {name: orders-2, host: 10.0.0.2, port: 5433, credential: "env:ORDERS_PW", labels: {az: b}}
              - name: billing
                nodes:
                  - {name: billing-1, host: db.example.com, credential: "file:/run/secrets/billing"}
            """;

    @Test
    void readsClustersWithDefaultsAndNoSecret() throws Exception {
        Files.writeString(dir.resolve("fleet.yaml"), GOOD);
        final Map<String, ClusterTarget> t = TargetsFile.load(dir.resolve("fleet.yaml"), k -> null, false);
        assertThat(t).containsOnlyKeys("orders", "billing");
        final ClusterTarget orders = t.get("orders");
        assertThat(orders.getPollIntervalMs()).isEqualTo(2000L);
        assertThat(orders.getLabels()).containsEntry("env", "prod");
        final TargetNode n2 = orders.getNodes().get(1);
        assertThat(n2.getPort()).isEqualTo(5433);
        assertThat(n2.getUser()).isEqualTo("monitor");
        assertThat(n2.getCredential()).isEqualTo("env:ORDERS_PW");
        assertThat(n2.getSslmode()).isEqualTo("require");
        assertThat(n2.getLabels()).containsEntry("team", "dba").containsEntry("az", "b");
        assertThat(orders.getNodes().get(0).getCredential()).as("from defaults").isEqualTo("fleet");
        assertThat(t.get("billing").getPollIntervalMs()).isNull();
    }

    @Test
    void listsEveryProblemOfEveryFileOfADirectoryAtOnce() throws Exception {
        Files.writeString(dir.resolve("a.yaml"), GOOD);
        Files.writeString(dir.resolve("b.yml"), """
                defaults: {password: hunter2}
                clusters:
                  - name: orders
                    nodes: [{name: o, host: h, user: u}]
                  - name: "bad/name"
                    poll_interval: 10ms
                    nodes:
                      - {name: n1, host: "h?x", user: u, password_file: /etc/pw, credential: "env:1BAD"}
                      - {name: n1, host: h2}
                  - name: empty
                """);
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        assertThatThrownBy(() -> TargetsFile.load(dir, k -> null, false))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> {
                    final String b = dir.resolve("b.yml") + ": ";
                    assertThat(e.problems()).containsExactlyInAnyOrder(
                            b + "defaults.password: secrets stay out of Kafka: name a credential instead (credential: "
                                    + "env:VAR, file:/path, or a name in each collector's credentials_file)",
                            b + "clusters[1].name: must be letters, digits, '.', '_' or '-' (no '/' or spaces), starting "
                                    + "with a letter or digit (got 'bad/name')",
                            b + "clusters[1].poll_interval: must be at least 100ms (got 10ms)",
                            b + "clusters[1].nodes[0].password_file: secrets stay out of Kafka: name a credential instead "
                                    + "(credential: env:VAR, file:/path, or a name in each collector's credentials_file)",
                            b + "clusters[1].nodes[0].host: must be a host name or an IP address, nothing else (got 'h?x')",
                            b + "clusters[1].nodes[0].credential: must be env:VAR, file:/path or a credential name "
                                    + "(letters, digits, . _ -) in the collectors' credentials files",
                            b + "clusters[1].nodes[1].name: duplicate node name 'n1' in cluster 'bad/name'",
                            b + "clusters[1].nodes[1].user: is required (here or under defaults)",
                            b + "clusters[2].nodes: needs at least one node");
                    assertThat(e.getMessage()).doesNotContain("hunter2");
                });
        Files.writeString(dir.resolve("b.yml"), "clusters: [{name: orders, nodes: [{name: o, host: h, user: u}]}]\n");
        assertThatThrownBy(() -> TargetsFile.load(dir, k -> null, false))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        dir.resolve("b.yml") + ": cluster 'orders' is also defined in " + dir.resolve("a.yaml")));
    }

    @Test
    void anEmptyFleetNeedsToBeAskedFor() throws Exception {
        Files.writeString(dir.resolve("none.yaml"), "clusters: []\n");
        assertThatThrownBy(() -> TargetsFile.load(dir.resolve("none.yaml"), k -> null, false))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("--allow-empty");
        assertThat(TargetsFile.load(dir.resolve("none.yaml"), k -> null, true)).isEmpty();
    }

    private static Map<String, ClusterTarget> appliedAt(final Map<String, ClusterTarget> targets,
                                                        final java.time.Instant at) {
        final Map<String, ClusterTarget> out = new java.util.LinkedHashMap<>();
        targets.forEach((k, v) -> out.put(k, ClusterTarget.newBuilder(v).setAppliedAt(at).build()));
        return out;
    }

    @Test
    void theDiffAddsChangesRemovesAndIgnoresWhenItWasApplied() throws Exception {
        Files.writeString(dir.resolve("fleet.yaml"), GOOD);
        // Applied an hour ago: the diff must not count the time of application as a change.
        final Map<String, ClusterTarget> current = appliedAt(TargetsFile.load(dir.resolve("fleet.yaml"), k -> null,
                false), java.time.Instant.now().minusSeconds(3600));
        Files.writeString(dir.resolve("fleet.yaml"), GOOD.replace("poll_interval: 2s", "poll_interval: 3s")
                .replace("  - name: billing", "  - name: search").replace("billing-1", "search-1"));
        final Map<String, ClusterTarget> desired = TargetsFile.load(dir.resolve("fleet.yaml"), k -> null, false);
        final TargetsTopic.Diff diff = TargetsTopic.diff(current, desired);
        assertThat(diff.added()).extracting(ClusterTarget::getCluster).containsExactly("search");
        assertThat(diff.changed()).extracting(ClusterTarget::getCluster).containsExactly("orders");
        assertThat(diff.removed()).containsExactly("billing");
        final TargetsTopic.Diff again = TargetsTopic.diff(appliedAt(desired, java.time.Instant.now().minusSeconds(60)),
                TargetsFile.load(dir.resolve("fleet.yaml"), k -> null, false));
        assertThat(again.empty()).as("applied again later: nothing to publish").isTrue();
        assertThat(again.unchanged()).isEqualTo(2);
        assertThat(Duration.ofMillis(desired.get("orders").getPollIntervalMs())).isEqualTo(Duration.ofSeconds(3));
    }

    /** An unreadable record is replaced when the file lists its key, and tombstoned when it does not. */
    @Test
    void unreadableRecordsAreReplacedOrRemoved() throws Exception {
        Files.writeString(dir.resolve("fleet.yaml"), GOOD);
        final Map<String, ClusterTarget> desired = TargetsFile.load(dir.resolve("fleet.yaml"), k -> null, false);
        final TargetsTopic.Diff diff = TargetsTopic.diff(new TargetsTopic.Contents(Map.of(),
                Map.of("orders", "Unknown magic byte 0x01", "junk", "Unknown magic byte 0x01")), desired);
        assertThat(diff.added()).extracting(ClusterTarget::getCluster).containsExactlyInAnyOrder("orders", "billing");
        assertThat(diff.removed()).containsExactly("junk");
        assertThat(diff.empty()).isFalse();
    }

    @Test
    void theExamplesAreValid() throws Exception {
        final Path root = Path.of(System.getProperty("replwatch.root", ".."));
        assertThat(TargetsFile.load(root.resolve("examples/targets.yaml"), k -> null, false))
                .containsOnlyKeys("orders-eu", "billing");
        final Path creds = dir.resolve("credentials.yaml");
        Files.writeString(creds, "credentials: {fleet-monitor: x}\n");
        final CollectorConfig c = CollectorConfig.parse(Files.readString(root.resolve("examples/collector-group.yaml"))
                .replace("/etc/replwatch/credentials.yaml", creds.toString()), Map.of("HOSTNAME", "db-watch-1")::get);
        assertThat(c.collectorId()).isEqualTo("db-watch-1");
        assertThat(c.nodes()).isEmpty();
        assertThat(c.targets().sessionTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.targets().group()).isEqualTo("replwatch-collectors");
    }
}
