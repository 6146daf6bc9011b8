package io.replwatch.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.WalThroughput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaCompatibility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The evolution policy is BACKWARD: the current schema of every record type must read data written with every
 * released version kept in src/main/avro/history (Name-vN.avsc).
 */
class SchemaEvolutionTest {

    private static final Path AVRO = Path.of("src/main/avro");

    static Stream<Schema> currentSchemas() {
        return Stream.of(ReplicationSample.SCHEMA$, WalThroughput.SCHEMA$, LagRate.SCHEMA$, HealthTransition.SCHEMA$,
                NodeHealth.SCHEMA$, CapacityRollup.SCHEMA$, DeadLetter.SCHEMA$);
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void currentSchemaReadsEveryReleasedVersion(final Schema current) throws IOException {
        final List<Path> released = history(current.getName());
        assertThat(released).as("released versions of %s in %s", current.getName(), AVRO.resolve("history"))
                .isNotEmpty();
        for (final Path old : released) {
            final Schema writer = parseWithCommonTypes(old);
            final SchemaCompatibility.SchemaPairCompatibility result =
                    SchemaCompatibility.checkReaderWriterCompatibility(current, writer);
            assertThat(result.getType())
                    .as("%s reading data written with %s: %s", current.getName(), old.getFileName(),
                            result.getDescription())
                    .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void theCheckCatchesABreakingChange() {
        // Guard against a vacuous check: a required field added without a default must be rejected.
        final Schema old = SchemaBuilder.record("R").fields().requiredString("a").endRecord();
        final Schema broken = SchemaBuilder.record("R").fields().requiredString("a").requiredLong("b").endRecord();
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(broken, old).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.INCOMPATIBLE);
    }

    private static List<Path> history(final String name) throws IOException {
        try (Stream<Path> files = Files.list(AVRO.resolve("history"))) {
            return files.filter(p -> p.getFileName().toString().matches(name + "-v\\d+\\.avsc")).sorted().toList();
        }
    }

    /** History files may reference the shared named types in src/main/avro/common, as the build does. */
    private static Schema parseWithCommonTypes(final Path file) throws IOException {
        final Schema.Parser parser = new Schema.Parser();
        final List<Path> common = new ArrayList<>();
        try (Stream<Path> files = Files.list(AVRO.resolve("common"))) {
            files.sorted().forEach(common::add);
        }
        // HealthState must precede HealthReason, which uses it.
        common.sort((a, b) -> a.getFileName().toString().equals("HealthState.avsc") ? -1
                : b.getFileName().toString().equals("HealthState.avsc") ? 1 : a.compareTo(b));
        for (final Path p : common) {
            parser.parse(p.toFile());
        }
        return parser.parse(file.toFile());
    }
}
