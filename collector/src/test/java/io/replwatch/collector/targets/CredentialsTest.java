package io.replwatch.collector.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsTest {

    @TempDir
    Path dir;

    @Test
    void resolvesFromTheEnvironmentAFileOrTheCredentialsFileAndNeverSaysTheSecret() throws Exception {
        final Path file = dir.resolve("pw");
        Files.writeString(file, "from-file\n");
        final Path creds = dir.resolve("credentials.yaml");
        Files.writeString(creds, "credentials:\n  fleet: s3cret\n");
        final Credentials c = new Credentials(creds, Map.of("PGPW", "from-env")::get);
        assertThat(c.resolve(null)).isNull();
        assertThat(c.resolve("env:PGPW")).isEqualTo("from-env");
        assertThat(c.resolve("file:" + file)).isEqualTo("from-file");
        assertThat(c.resolve("fleet")).isEqualTo("s3cret");
        assertThatThrownBy(() -> c.resolve("env:NOPE")).hasMessageContaining("not set on this collector");
        assertThatThrownBy(() -> c.resolve("other")).hasMessageContaining("'other' is not in " + creds)
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> c.resolve("file:" + dir.resolve("missing"))).hasMessageContaining("cannot read it");
        assertThatThrownBy(() -> new Credentials(null, k -> null).resolve("fleet"))
                .hasMessageContaining("no targets.credentials_file");
    }
}
