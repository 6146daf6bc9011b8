package io.replwatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.collector.config.CollectorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code replwatch local --config FILE}: a fleet file is re-pointed at the local broker and registry. */
class FleetConfigTest {

    @Test
    void aFleetFileWithoutKafkaSectionsIsAccepted(@TempDir final Path dir) throws Exception {
        final Path file = Files.writeString(dir.resolve("fleet.yaml"), """
                clusters:
                  - name: orders
                    nodes: [{name: pg1, host: db1.example, user: monitor, password_file: /dev/null}]
                """);
        final CollectorConfig c = LocalRun.fleet(file, "127.0.0.1:1234", "http://127.0.0.1:5678/apis/ccompat/v7");
        assertThat(c.kafka()).containsEntry("bootstrap.servers", "127.0.0.1:1234");
        assertThat(c.registry()).containsEntry("schema.registry.url", "http://127.0.0.1:5678/apis/ccompat/v7");
        assertThat(c.nodes()).hasSize(1);
    }

    @Test
    void aProductionFilesKafkaSettingsAreReplacedNotMerged(@TempDir final Path dir) throws Exception {
        final Path file = Files.writeString(dir.resolve("fleet.yaml"), """
                kafka: {bootstrap.servers: "kafka.prod:9093", security.protocol: SASL_SSL}
                schema_registry: {url: "https://registry.prod", basic.auth.user.info: "u:p"}
                clusters:
                  - name: orders
                    nodes: [{name: pg1, host: db1.example, user: monitor, password_file: /dev/null}]
                """);
        final CollectorConfig c = LocalRun.fleet(file, "127.0.0.1:1234", "http://127.0.0.1:5678");
        assertThat(c.kafka()).containsOnlyKeys("bootstrap.servers").containsEntry("bootstrap.servers", "127.0.0.1:1234");
        assertThat(c.registry()).containsEntry("schema.registry.url", "http://127.0.0.1:5678")
                .doesNotContainKey("basic.auth.user.info");
    }
}
