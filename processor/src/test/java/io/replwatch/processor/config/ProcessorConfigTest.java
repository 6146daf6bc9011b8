package io.replwatch.processor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.runtime.config.InvalidConfigException;
import io.replwatch.processor.health.Rules;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProcessorConfigTest {

    @Test
    void readsThresholdsAsDurationsSizesAndNumbersWithClusterOverrides() {
        final ProcessorConfig c = ProcessorConfig.parse("""
                kafka: {bootstrap.servers: k:9092}
                schema_registry: {url: http://r:8081}
                wal_windows: [30s, 5m]
                rules:
                  LAG_TIME: {warning: 90s, for: 1m}
                  LAG_BYTES: {critical: 2GiB}
                  CONFLICTS: {warning: 500}
                clusters:
                  orders: {rules: {LAG_TIME: {warning: 10s}}}
                """, k -> null);
        assertThat(c.topology().walWindows()).containsExactly(Duration.ofSeconds(30), Duration.ofMinutes(5));
        assertThat(c.stateStore()).isEqualTo(StoreKind.MEMORY);
        assertThat(c.streamThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        final var t = c.topology().thresholds();
        assertThat(t.get("any", Rules.LAG_TIME).warning()).isEqualTo(90_000d);
        assertThat(t.get("any", Rules.LAG_TIME).critical()).isEqualTo(300_000d);
        assertThat(t.get("any", Rules.LAG_TIME).enterFor()).isEqualTo(Duration.ofMinutes(1));
        assertThat(t.get("any", Rules.LAG_BYTES).critical()).isEqualTo(2d * 1024 * 1024 * 1024);
        assertThat(t.get("any", Rules.CONFLICTS).warning()).isEqualTo(500d);
        // The cluster override starts from the global one: for stays 1m, warning becomes 10s.
        assertThat(t.get("orders", Rules.LAG_TIME).warning()).isEqualTo(10_000d);
        assertThat(t.get("orders", Rules.LAG_TIME).enterFor()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.registry()).containsEntry("schema.registry.url", "http://r:8081");
    }

    @Test
    void listsEveryProblem() {
        assertThatThrownBy(() -> ProcessorConfig.parse("""
                grace: never
                state_store: disk
                rules:
                  LAG_TIEM: {warning: 1s}
                  LAG_TIME: {warning: soon, sometimes: 1}
                clusters:
                  a: {rulez: {}}
                """, k -> null))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems()).contains(
                        "grace: Not a duration: 'never' (use e.g. 500ms, 5s, 2m, 1h)",
                        "kafka.bootstrap.servers: is required",
                        "schema_registry.url: is required",
                        "state_store: must be memory or rocksdb, not 'disk'",
                        "rules.LAG_TIME.warning: 'soon' is not a duration such as 60s or 5m",
                        "clusters.a.rulez: unknown key (known: rules)")
                        .anyMatch(p -> p.startsWith("rules.LAG_TIEM: unknown key"))
                        .anyMatch(p -> p.startsWith("rules.LAG_TIME.sometimes: unknown key")));
    }

    /**
     * Each rule's thresholds are read in the rule's own unit; a value in another unit is a problem that names the
     * unit, never a silent misreading. One row per case, with why.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}: {1}: {2}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', textBlock = """
            # rule             | value  | problem (empty: accepted)
            # 1. The seed's "60 seconds" copied as a bare number: refused, not 60 ms.
            LAG_TIME           | 60     | rules.LAG_TIME.warning: '60' has no unit: write a duration such as 60s or 5m
            # 2. A duration where a size belongs.
            LAG_BYTES          | 60s    | rules.LAG_BYTES.warning: '60s' is a duration, not a size: write a size such as 256MB or 1GB (1024-based, as in postgresql.conf)
            # 3. A bare number for a size: bytes or megabytes? Refused.
            LAG_BYTES          | 1024   | rules.LAG_BYTES.warning: '1024' has no unit: write a size such as 256MB or 1GB (1024-based, as in postgresql.conf)
            # 4. A count with a unit.
            CONFLICTS          | 100s   | rules.CONFLICTS.warning: '100s' is not a whole number such as 100
            # 5. A ratio above one.
            SENDERS_EXHAUSTED  | 1.5    | rules.SENDERS_EXHAUSTED.warning: '1.5' is above 1 (100%): write a fraction such as 0.8 or 80%
            # 6. NaN is not a number anyone means.
            SENDERS_EXHAUSTED  | NaN    | rules.SENDERS_EXHAUSTED.warning: 'NaN' is not a fraction such as 0.8 or 80%
            # 7. A rule without thresholds takes none.
            REPLAY_PAUSED      | 1s     | rules.REPLAY_PAUSED.warning: unknown key (known: clear_for, for)
            # 8. Accepted: each in its unit.
            LAG_TIME           | 90s    |
            LAG_BYTES          | 512MB  |
            CONFLICTS          | 250    |
            SENDERS_EXHAUSTED  | 90%    |
            """)
    void thresholdsAreReadInTheRulesUnit(final String rule, final String value, final String problem) {
        final String yaml = "kafka: {bootstrap.servers: k:9092}\nschema_registry: {url: http://r:8081}\nrules:\n  "
                + rule + ": {warning: '" + value + "'}\n";
        if (problem == null) {
            assertThat(ProcessorConfig.parse(yaml, k -> null).topology().thresholds().get("c", rule).warning()).isNotNull();
        } else {
            assertThatThrownBy(() -> ProcessorConfig.parse(yaml, k -> null))
                    .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems()).containsExactly(problem));
        }
    }

    @Test
    void sizesAreReadAsPostgresReadsThem() {
        final var t = ProcessorConfig.parse("""
                kafka: {bootstrap.servers: k:9092}
                schema_registry: {url: http://r:8081}
                rules:
                  LAG_BYTES: {warning: 1GB, critical: 2GiB}
                  SLOT_WAL_AT_RISK: {warning: 512kB}
                  SENDERS_EXHAUSTED: {warning: 0.75}
                """, k -> null).topology().thresholds();
        assertThat(t.get("c", Rules.LAG_BYTES).warning()).isEqualTo(1024d * 1024 * 1024);
        assertThat(t.get("c", Rules.LAG_BYTES).critical()).isEqualTo(2d * 1024 * 1024 * 1024);
        assertThat(t.get("c", Rules.SLOT_WAL_AT_RISK).warning()).isEqualTo(512d * 1024);
        assertThat(t.get("c", Rules.SENDERS_EXHAUSTED).warning()).isEqualTo(0.75);
    }

    /** The README's key table is the declaration in ProcessorConfig.KEYS, and its rule table is Rules.ALL. */
    @Test
    void theReadmeShowsEveryDeclaredKeyAndRule() throws Exception {
        final String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        final String keys = "<!-- config-keys -->\n" + io.replwatch.runtime.config.ConfigKey.markdownTable(ProcessorConfig.KEYS)
                + "<!-- /config-keys -->";
        // The table as declared, to paste into the README when a key changes.
        java.nio.file.Files.writeString(java.nio.file.Path.of("target", "config-keys.md"), keys + "\n");
        assertThat(readme).as("processor/README.md, between the config-keys markers (see target/config-keys.md)")
                .contains(keys);
        for (final Rules.Rule r : Rules.ALL) {
            assertThat(readme).as("rule table row of %s", r.code()).contains("| " + r.code() + " | " + r.unit().name().toLowerCase()
                    + " | " + Rules.defaultsText(r) + " |");
        }
    }
}
