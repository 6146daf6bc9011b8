package io.replwatch.sandbox;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way the sandbox can fail to start says what is wrong and what to do, without starting anything. */
class SandboxFailuresTest {

    @AfterEach
    void clearProperties() {
        System.clearProperty(PgBinaries.BIN_PROPERTY);
        System.clearProperty(SchemaRegistryServer.HOME_PROPERTY);
        System.clearProperty("replwatch.pg.zonky");
    }

    @Test
    void aTakenPortNamesThePortAndTheRemedy() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> Ports.requireFree(s.getLocalPort(), "Kafka broker"))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("127.0.0.1:" + s.getLocalPort() + " is already in use")
                    .hasMessageContaining("./replwatch sandbox down");
        }
    }

    @Test
    void portsHandedOutAreNeverHandedOutAgain() {
        final java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            org.assertj.core.api.Assertions.assertThat(seen.add(Ports.free())).isTrue();
        }
    }

    @Test
    void binariesWithoutTheToolsAreNamed(@TempDir final Path dir) {
        System.setProperty(PgBinaries.BIN_PROPERTY, dir.toString());
        assertThatThrownBy(() -> PgBinaries.detect(null))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("No executable initdb in " + dir);
    }

    @Test
    void aMissingMajorWithoutTheFallbackSaysHowToInstall() {
        System.setProperty("replwatch.pg.zonky", "false");
        assertThatThrownBy(() -> PgBinaries.detect(9))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("PostgreSQL 9 server binaries not found")
                .hasMessageContaining("apt-get install -y postgresql");
    }

    @Test
    void anUnknownMajorListsTheAvailableOnes() {
        assertThatThrownBy(() -> ZonkyBinaries.get(99))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("PostgreSQL 99 is not available")
                .hasMessageContaining("[10, 11, 12, 13, 14, 15, 16, 17, 18]");
    }

    @Test
    void aMissingRegistryRunnerSaysHowToBuildIt(@TempDir final Path dir) {
        System.setProperty(SchemaRegistryServer.HOME_PROPERTY, dir.toString());
        assertThatThrownBy(SchemaRegistryServer::runnerJar)
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("Apicurio Registry runner not found")
                .hasMessageContaining("mvn -pl sandbox -am package -DskipTests");
    }

    @Test
    void aSandboxLeftByACrashIsNamedWithTheRemedy(@TempDir final Path dir) throws Exception {
        Files.writeString(dir.resolve(Sandbox.STATE_FILE), "{}");
        assertThatThrownBy(() -> Sandbox.builder().dir(dir).start())
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("already recorded in " + dir.toAbsolutePath())
                .hasMessageContaining("./replwatch sandbox down");
    }
}
