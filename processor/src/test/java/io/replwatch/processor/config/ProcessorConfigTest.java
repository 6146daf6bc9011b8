package io.replwatch.processor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.common.InvalidConfigException;
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
                        "rules.LAG_TIME.warning: must be a duration (60s), a size (256MiB) or a number (got 'soon')",
                        "clusters.a.rulez: unknown key (known: rules)")
                        .anyMatch(p -> p.startsWith("rules.LAG_TIEM: unknown key"))
                        .anyMatch(p -> p.startsWith("rules.LAG_TIME.sometimes: unknown key")));
    }
}
