package io.replwatch.processor.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.HealthState;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Enter and clear durations: a rule fires after `for`, clears after `clear_for`, and does not flap. */
class RuleTrackerTest {

    private static final Thresholds.RuleSettings S = new Thresholds.RuleSettings(60_000d, 300_000d,
            Duration.ofSeconds(30), Duration.ofSeconds(60));
    private static final Finding WARN = new Finding("LAG_TIME", HealthState.WARNING, 61_000d, 60_000d, "ms", "w");
    private static final Finding CRIT = new Finding("LAG_TIME", HealthState.CRITICAL, 301_000d, 300_000d, "ms", "c");

    @Test
    void firesOnlyAfterTheConditionHeldForTheEnterDuration() {
        final RuleTracker t = new RuleTracker();
        assertThat(t.update(WARN, S, 0)).isTrue();
        assertThat(t.firing).isFalse();
        t.update(WARN, S, 29_000);
        assertThat(t.firing).isFalse();
        t.update(WARN, S, 30_000);
        assertThat(t.firing).isTrue();
        assertThat(t.firedAt).isEqualTo(30_000);
    }

    @Test
    void aConditionThatGoesAwayBeforeTheEnterDurationNeverFires() {
        final RuleTracker t = new RuleTracker();
        t.update(WARN, S, 0);
        assertThat(t.update(null, S, 10_000)).isFalse();
        assertThat(t.firing).isFalse();
    }

    @Test
    void aValueHoveringAtTheThresholdDoesNotFlap() {
        final RuleTracker t = new RuleTracker();
        long now = 0;
        for (; now <= 30_000; now += 5000) {
            t.update(WARN, S, now);
        }
        assertThat(t.firing).isTrue();
        // Over and under the threshold every 5 s for ten minutes: never clear for 60 s, so it stays firing.
        int flips = 0;
        boolean last = t.firing;
        for (int i = 0; i < 120; i++, now += 5000) {
            t.update(i % 2 == 0 ? null : WARN, S, now);
            if (t.firing != last) {
                flips++;
                last = t.firing;
            }
        }
        assertThat(flips).isZero();
        assertThat(t.firing).isTrue();
    }

    @Test
    void clearsAfterTheClearDuration() {
        final RuleTracker t = new RuleTracker();
        t.update(WARN, S, 0);
        t.update(WARN, S, 30_000);
        assertThat(t.update(null, S, 40_000)).isTrue();
        assertThat(t.firing).isTrue();
        assertThat(t.update(null, S, 99_000)).isTrue();
        assertThat(t.update(null, S, 100_000)).isFalse();
        assertThat(t.firing).isFalse();
    }

    @Test
    void escalatesAtOnceAndDowngradesOnlyAfterTheClearDuration() {
        final RuleTracker t = new RuleTracker();
        t.update(WARN, S, 0);
        t.update(WARN, S, 30_000);
        t.update(CRIT, S, 35_000);
        assertThat(t.current.severity()).isEqualTo(HealthState.CRITICAL);
        t.update(WARN, S, 40_000);
        assertThat(t.current.severity()).as("still within clear_for").isEqualTo(HealthState.CRITICAL);
        t.update(WARN, S, 100_000);
        assertThat(t.current.severity()).isEqualTo(HealthState.WARNING);
    }
}
