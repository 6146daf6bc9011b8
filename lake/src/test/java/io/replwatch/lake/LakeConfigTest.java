package io.replwatch.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.runtime.config.InvalidConfigException;
import io.replwatch.lake.config.LakeConfig;
import io.replwatch.lake.sink.FileNames;
import io.replwatch.lake.sink.Table;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LakeConfigTest {

    @Test
    void theExampleIsValid() {
        final Path example = Path.of(System.getProperty("replwatch.root", ".."), "examples", "lake.yaml");
        final LakeConfig c = LakeConfig.from(ConfigNode.load(example, k -> "localhost:1"));
        assertThat(c.tables()).containsExactly(Table.SAMPLES, Table.ROLLUPS);
        assertThat(c.output().type()).isEqualTo("local");
        assertThat(c.maxOpenFiles()).isEqualTo(64);
        assertThat(c.layout()).isEqualTo(LakeConfig.Layout.AUTO);
    }

    @Test
    void layoutDateIsOneDirectoryPerDay() {
        final LakeConfig c = LakeConfig.parse("""
                kafka: {bootstrap.servers: "k:9092"}
                schema_registry: {url: "http://r"}
                output: {type: local, path: /tmp/lake}
                layout: date
                """, k -> null);
        assertThat(c.layout()).isEqualTo(LakeConfig.Layout.DATE);
        assertThat(FileNames.dateDir("samples", Instant.parse("2026-11-26T23:59:59Z"))).isEqualTo("samples/date=2026-11-26");
    }

    @Test
    void everyProblemAtOnce() {
        assertThatThrownBy(() -> LakeConfig.parse("""
                kafka: {bootstrap.servers: "k:9092"}
                schema_registry: {url: "http://r"}
                output: {type: s3, endpoint: "not a url"}
                roll: {max_rows: 0, max_age: soon}
                layout: by_node
                compression: lz4
                """, k -> null)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("layout: must be auto, date or cluster_date (got 'by_node')")
                .hasMessageContaining("compression: must be zstd, snappy, gzip or none (got 'lz4')")
                .hasMessageContaining("output.bucket: is required")
                .hasMessageContaining("output.endpoint")
                .hasMessageContaining("roll.max_rows")
                .hasMessageContaining("roll.max_age");
    }

    @Test
    void fileNamesCarryTheBatchRangeAndHivePartitions() {
        final String dir = FileNames.partitionDir("samples", "orders/eu", Instant.parse("2026-11-26T23:59:59Z"));
        assertThat(dir).isEqualTo("samples/cluster=orders%2Feu/date=2026-11-26");
        final String f = FileNames.file(dir, "replwatch.samples", 3, 1200, 1899, "k3x9");
        assertThat(f).endsWith("/replwatch.samples+3+1200+1899+k3x9.parquet");
        // files written before names carried the writer
        assertThat(FileNames.batchFirst(dir + "/replwatch.samples+3+1200+1899.parquet", "replwatch.samples", 3))
                .hasValue(1200);
        assertThat(FileNames.batchFirst(f, "replwatch.samples", 3)).hasValue(1200);
        assertThat(FileNames.batchFirst(f, "replwatch.samples", 2)).isEmpty();
        assertThat(FileNames.batchFirst(f, "replwatch.rollups", 3)).isEmpty();
    }
}
