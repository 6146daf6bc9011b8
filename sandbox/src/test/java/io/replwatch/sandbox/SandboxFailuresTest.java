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

    /** Two test JVMs side by side (failsafe forks 1 and 2 of 2) pick from disjoint slices of the ports. */
    @Test
    void aForkPicksOnlyFromItsSliceOfThePorts() {
        final String before = System.getProperty(Ports.SLICE_PROPERTY);
        try {
            for (final int fork : new int[] {1, 2}) {
                System.setProperty(Ports.SLICE_PROPERTY, fork + "/2");
                for (int i = 0; i < 20; i++) {
                    org.assertj.core.api.Assertions.assertThat(Ports.free() % 2).isEqualTo(fork % 2);
                }
            }
            org.assertj.core.api.Assertions.assertThat(Ports.slice("${surefire.forkNumber}/1")).containsExactly(0, 1);
            org.assertj.core.api.Assertions.assertThat(Ports.slice("3/1")).containsExactly(0, 1);
        } finally {
            if (before == null) {
                System.clearProperty(Ports.SLICE_PROPERTY);
            } else {
                System.setProperty(Ports.SLICE_PROPERTY, before);
            }
        }
    }

    @Test
    void theKernelsEphemeralRangeIsReadWhole() throws Exception {
        final java.nio.file.Path proc = java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(proc), "Linux only");
        final String[] expected = Files.readAllLines(proc).get(0).trim().split("\\s+");
        org.assertj.core.api.Assertions.assertThat(Ports.ephemeralRange())
                .containsExactly(Integer.parseInt(expected[0]), Integer.parseInt(expected[1]));
        final int[] range = Ports.ephemeralRange();
        for (int i = 0; i < 50; i++) {
            final int port = Ports.free();
            org.assertj.core.api.Assertions.assertThat(port >= range[0] && port <= range[1]).as("port " + port).isFalse();
        }
    }

    @Test
    void portsComeFromOutsideTheEphemeralRangeWhereThereIsRoom() {
        // Debian's default range: below it only.
        final java.util.List<int[]> debian = Ports.spans(new int[] {32768, 60999});
        org.assertj.core.api.Assertions.assertThat(debian).hasSize(2);
        org.assertj.core.api.Assertions.assertThat(debian.get(0)).containsExactly(15000, 32768);
        org.assertj.core.api.Assertions.assertThat(debian.get(1)).containsExactly(61000, 65536);
        // A container that widens the range down to 1024: above it, never inside.
        final java.util.List<int[]> wide = Ports.spans(new int[] {1024, 60999});
        org.assertj.core.api.Assertions.assertThat(wide).hasSize(1);
        org.assertj.core.api.Assertions.assertThat(wide.get(0)).containsExactly(61000, 65536);
        org.assertj.core.api.Assertions.assertThat(Ports.pick(wide, 0)).isEqualTo(61000);
        org.assertj.core.api.Assertions.assertThat(Ports.pick(wide, 4535)).isEqualTo(65535);
        org.assertj.core.api.Assertions.assertThat(Ports.pick(debian, 17768)).isEqualTo(61000);
        // No room at all: anywhere from 15000 up; the servers' starts pick again if a port is taken.
        org.assertj.core.api.Assertions.assertThat(Ports.spans(new int[] {1024, 65535}).get(0))
                .containsExactly(15000, 65536);
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
