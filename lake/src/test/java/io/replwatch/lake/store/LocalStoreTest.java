package io.replwatch.lake.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStoreTest {

    @Test
    void findsKeysByPlainPrefixAsS3Does(@TempDir final Path root) throws Exception {
        final LocalStore store = new LocalStore(root);
        assertThat(store.anyKeyStartingWith("samples/cluster=")).isFalse();
        Files.createDirectories(root.resolve("samples/cluster=a/date=2026-12-01"));
        assertThat(store.anyKeyStartingWith("samples/cluster=")).as("an empty directory is no file").isFalse();
        final Path f = root.resolve("samples/date=2026-12-01/replwatch.samples+0+0+9+ab.parquet");
        Files.createDirectories(f.getParent());
        Files.writeString(f, "PAR1");
        assertThat(store.anyKeyStartingWith("samples/cluster=")).isFalse();
        assertThat(store.anyKeyStartingWith("samples/date=")).isTrue();
        assertThat(store.anyKeyStartingWith("rollups/date=")).isFalse();
        Files.writeString(root.resolve("samples/cluster=a/date=2026-12-01/x.parquet"), "PAR1");
        assertThat(store.anyKeyStartingWith("samples/cluster=")).isTrue();
        assertThat(store.anyKeyStartingWith("samples/cluster=b")).isFalse();
    }
}
