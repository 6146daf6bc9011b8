package io.replwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The collector's /health (issue 17): it said UP while every sample was dropped, because only a backlog that
 * waited too long counted. One row per case, with why.
 */
class HealthRuleTest {

    private static final long NOW = 1_000_000;
    private static final long LIMIT = 8_000;

    @Test
    void table() {
        // 1. Acknowledged a second ago, nothing waiting, nothing dropped: UP.
        assertThat(CollectorService.flowing(NOW, 0, NOW - 1_000, 0, LIMIT)).isTrue();
        // 2. Samples waiting 10 s for Kafka: DOWN.
        assertThat(CollectorService.flowing(NOW, 12, NOW - 10_000, 0, LIMIT)).isFalse();
        // 3. Every sample dropped (nothing waits, so the old rule said UP): DOWN.
        assertThat(CollectorService.flowing(NOW, 0, NOW - 60_000, NOW - 500, LIMIT)).isFalse();
        // 4. One drop, then acknowledgements again: UP.
        assertThat(CollectorService.flowing(NOW, 0, NOW - 200, NOW - 3_000, LIMIT)).isTrue();
        // 5. The last drop is older than the limit: UP (a past incident does not keep it down).
        assertThat(CollectorService.flowing(NOW, 0, NOW - 60_000, NOW - 9_000, LIMIT)).isTrue();
    }
}
