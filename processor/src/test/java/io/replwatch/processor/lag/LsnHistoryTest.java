package io.replwatch.processor.lag;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LsnHistoryTest {

    private static final long HOUR = 3_600_000;

    @Test
    void idlePrimaryGivesZeroTimeLagHoweverLongItIsIdle() {
        final LsnHistory h = new LsnHistory();
        for (int i = 0; i <= 600; i++) {
            h.add(i * 1000L, 5000, 1, HOUR, 4096); // ten minutes, no WAL written
        }
        // now() - pg_last_xact_replay_timestamp() would say 600 s here; the standby has everything.
        assertThat(h.timeLag(5000, 600_000)).isZero();
    }

    @Test
    void cutLinkWhilePrimaryWritesGrowsWithTheClock() {
        final LsnHistory h = new LsnHistory();
        for (int i = 0; i <= 60; i++) {
            h.add(i * 1000L, 1000 + i * 100L, 1, HOUR, 4096); // 100 bytes/s
        }
        // The standby froze at 2000, reached by the primary at t = 10 s.
        assertThat(h.timeLag(2000, 30_000)).isEqualTo(20_000);
        assertThat(h.timeLag(2000, 60_000)).isEqualTo(50_000);
    }

    /**
     * Caught up, then the primary idle at that very position for five minutes, then it writes while the standby's
     * replay (or a logical slot's consumer) stays put: the lag counts from the write, not from when the primary
     * first reached the position (that read 300 s at once, on real PostgreSQL, before this was fixed).
     */
    @Test
    void aConsumerCaughtUpBeforeAnIdleStretchLagsFromTheNextWrite() {
        final LsnHistory h = new LsnHistory();
        for (int i = 0; i <= 300; i++) {
            h.add(i * 1000L, 5000, 1, HOUR, 4096);
        }
        for (int i = 301; i <= 310; i++) {
            h.add(i * 1000L, 5000 + (i - 300) * 100L, 1, HOUR, 4096); // writes from t = 300 s on
        }
        assertThat(h.timeLag(5000, 310_000)).isEqualTo(10_000);
    }

    @Test
    void interpolatesBetweenPoints() {
        final LsnHistory h = new LsnHistory();
        h.add(0, 0, 1, HOUR, 4096);
        h.add(10_000, 1000, 1, HOUR, 4096);
        h.add(20_000, 2000, 1, HOUR, 4096);
        // 1500 was reached half-way between 10 s and 20 s.
        assertThat(h.timeLag(1500, 20_000)).isEqualTo(5_000);
        assertThat(h.lsnAt(15_000)).isEqualTo(1000);
    }

    @Test
    void aPositionOlderThanTheHistoryIsAtLeastAsOldAsIt() {
        final LsnHistory h = new LsnHistory();
        h.add(100_000, 5000, 1, HOUR, 4096);
        h.add(110_000, 6000, 1, HOUR, 4096);
        assertThat(h.timeLag(10, 120_000)).isEqualTo(20_000);
    }

    @Test
    void goingBackOrANewTimelineStartsAfresh() {
        final LsnHistory h = new LsnHistory();
        h.add(0, 5000, 1, HOUR, 4096);
        h.add(1000, 6000, 1, HOUR, 4096);
        h.add(2000, 100, 1, HOUR, 4096); // went back
        assertThat(h.times).containsExactly(2000L);
        h.add(3000, 200, 2, HOUR, 4096); // new timeline
        assertThat(h.times).containsExactly(3000L);
        assertThat(h.timeline).isEqualTo(2);
    }

    @Test
    void boundedByAgeAndCount() {
        final LsnHistory h = new LsnHistory();
        for (int i = 0; i < 10_000; i++) {
            h.add(i * 1000L, i, 1, 600_000, 256);
        }
        assertThat(h.times.size()).isLessThanOrEqualTo(256);
        assertThat(h.latestTime()).isEqualTo(9_999_000L);
        assertThat(h.times.get(0)).isGreaterThanOrEqualTo(9_999_000L - 600_000);
    }
}
