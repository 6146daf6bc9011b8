package io.replwatch.processor.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThresholdsTest {

    /** The per-sample array gives, rule by rule, what the lookup by name gives: defaults, global and cluster overrides. */
    @Test
    void everyRulesSettingsForAClusterAreTheOnesLookedUpByName() {
        final String someRule = Rules.ALL.get(0).code();
        final String otherRule = Rules.ALL.get(Rules.ALL.size() - 1).code();
        final Thresholds.RuleSettings global = new Thresholds.RuleSettings(1.0, 2.0, Duration.ofSeconds(3), Duration.ofSeconds(4));
        final Thresholds.RuleSettings orders = new Thresholds.RuleSettings(5.0, null, Duration.ZERO, Duration.ofSeconds(6));
        final Thresholds t = new Thresholds(Map.of(someRule, global), Map.of("orders", Map.of(otherRule, orders)));
        for (final String cluster : new String[] {"orders", "billing"}) {
            final Thresholds.RuleSettings[] all = t.forCluster(cluster);
            assertThat(all).hasSize(Rules.ALL.size());
            for (int i = 0; i < all.length; i++) {
                assertThat(all[i]).as("%s %s", cluster, Rules.ALL.get(i).code()).isEqualTo(t.get(cluster, Rules.ALL.get(i).code()));
            }
            assertThat(all[0]).isEqualTo(global);
        }
        assertThat(t.forCluster("orders")[Rules.ALL.size() - 1]).isEqualTo(orders);
        assertThat(t.forCluster("billing")[Rules.ALL.size() - 1]).isEqualTo(Thresholds.defaultFor(otherRule));
    }
}
