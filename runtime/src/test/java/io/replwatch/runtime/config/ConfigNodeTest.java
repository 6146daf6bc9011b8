package io.replwatch.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Configuration mistakes found by trying (issue 17): each is a listed problem, never a silent or raw failure. */
class ConfigNodeTest {

    @Test
    void aDuplicateKeyIsAProblemNotASilentReplacement() {
        assertThatThrownBy(() -> ConfigNode.parse("""
                clusters: [{name: a}]
                poll_interval: 5s
                clusters: [{name: b}]
                """, "f.yaml", k -> null))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .singleElement().asString().contains("Duplicate field 'clusters'").contains("line 3"));
    }

    @Test
    void anOverflowingDurationIsAListedProblem() {
        final ConfigNode n = ConfigNode.parse("""
                poll_interval: 99999999999999999d
                grace: 4000d
                stale_min: 10s
                """, "f.yaml", k -> null);
        assertThat(n.duration("poll_interval", Duration.ofSeconds(5), null)).isEqualTo(Duration.ofSeconds(5));
        assertThat(n.duration("grace", Duration.ZERO, null)).isEqualTo(Duration.ZERO);
        assertThat(n.duration("stale_min", Duration.ZERO, null)).isEqualTo(Duration.ofSeconds(10));
        assertThatThrownBy(n::throwIfProblems).isInstanceOfSatisfying(InvalidConfigException.class,
                e -> assertThat(e.problems()).containsExactly(
                        "poll_interval: Too long a duration: '99999999999999999d'",
                        "grace: must be at most 3650d (got 4000d)"));
    }

    @Test
    void kafkaAndRegistrySecretsNeverPrint() {
        final ConfigNode.KafkaSections k = ConfigNode.parse("""
                kafka:
                  bootstrap.servers: k:9093
                  sasl.jaas.config: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2";'
                  ssl.truststore.password: changeit
                schema_registry: {url: "https://r", basic.auth.user.info: "u:hunter3"}
                """, "f.yaml", v -> null).kafkaSections();
        assertThat(k.kafka().get("sasl.jaas.config")).contains("hunter2");
        assertThat(k.toString()).doesNotContain("hunter2").doesNotContain("hunter3").doesNotContain("changeit")
                .contains("bootstrap.servers=k:9093").contains("schema.registry.url=https://r");
    }
}
