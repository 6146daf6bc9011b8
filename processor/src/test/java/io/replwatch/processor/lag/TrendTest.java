package io.replwatch.processor.lag;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.LagTrend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Burrow-style trend rules, one numbered row per case. Points: "replay:lag:primary" separated by spaces. */
class TrendTest {

    @ParameterizedTest(name = "row {0}: {3}")
    @CsvSource(delimiter = '|', value = {
        // 1. A single point says nothing about direction.
        "1 | 100:0:100                                   | 1 1 | UNKNOWN",
        // 2. Lag is zero now: caught up, whatever happened before in the window.
        "2 | 100:50:150 200:20:220 300:0:300             | 1 1 1 | OK",
        // 3. Replay frozen at 100 while the primary moved from 150 to 400: STALLED.
        "3 | 100:50:150 100:150:250 100:300:400          | 1 1 1 | STALLED",
        // 4. Replay frozen, primary idle too (lag constant, nothing new written): not stalled, steady lag: OK.
        "4 | 100:50:150 100:50:150 100:50:150            | 1 1 1 | OK",
        // 5. Replay moves but lag never shrinks and ends higher: FALLING_BEHIND.
        "5 | 100:50:150 150:100:250 200:200:400          | 1 1 1 | FALLING_BEHIND",
        // 6. Lag ends lower than it started: CATCHING_UP.
        "6 | 100:300:400 300:200:500 500:100:600         | 1 1 1 | CATCHING_UP",
        // 7. Lag went up and down and ends where it began: steady, OK.
        "7 | 100:100:200 150:150:300 300:100:400         | 1 1 1 | OK",
        // 8. Replay went back (a rewind or a new base backup): REWIND.
        "8 | 300:10:310 200:110:310 250:60:310           | 1 1 1 | REWIND",
        // 9. Timeline changed within the window (a failover upstream): REWIND.
        "9 | 100:10:110 120:0:120 130:0:130              | 1 1 2 | REWIND",
        // 10. Lag grew in one step and stayed (never decreased, ends higher) while replay moved: FALLING_BEHIND.
        "10 | 100:10:110 105:100:205 110:100:210         | 1 1 1 | FALLING_BEHIND",
        // 11. Idle primary, then one write seen before the standby replayed it: not a stall (lag was zero before).
        "11 | 100:0:100 100:0:100 100:50:150             | 1 1 1 | OK",
        // 12. Same, but replay moved a little while lag grew: still not falling behind on one late sample.
        "12 | 100:0:100 100:0:100 100:50:150 100:80:180  | 1 1 1 1 | OK",
    })
    void evaluates(final int row, final String points, final String timelines, final LagTrend expected) {
        final String[] ps = points.trim().split("\\s+");
        final String[] tls = timelines.trim().split("\\s+");
        final List<Trend.Point> window = new ArrayList<>();
        for (int i = 0; i < ps.length; i++) {
            final String[] f = ps[i].split(":");
            window.add(new Trend.Point(i * 1000L, Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                    Integer.parseInt(tls[i])));
        }
        assertThat(Trend.evaluate(window)).as("row %d", row).isEqualTo(expected);
    }

    /** Points one second apart; a stall counts once its run spans {@code minStall} ms. */
    @ParameterizedTest(name = "row {0}: {3}")
    @CsvSource(delimiter = '|', value = {
        // 1. Replay caught up at 200, then stood there behind a writing primary from t=2 s to 4 s: a 2 s run with
        //    lag, 2 s needed: STALLED.
        "1 | 100:10:110 200:0:200 200:10:210 200:20:220 200:30:230 | 2000 | STALLED",
        // 2. The same run is too short for 5 s; the lag went down to zero within the window and ends higher than
        //    it started, but replay has not moved since: none of the other trends, OK (not yet a stall).
        "2 | 100:10:110 200:0:200 200:10:210 200:20:220 200:30:230 | 5000 | OK",
        // 3. Idle primary for a long time (replay equal, no lag), then writes the standby does not replay: the
        //    idle points are not part of the stall; only the last two lag, 1 s: not yet (and replay did not move,
        //    so not falling behind either): OK.
        "3 | 100:0:100 100:0:100 100:0:100 100:10:110 100:20:120 | 2000 | OK",
        // 4. ... and a second later the run is 2 s: STALLED.
        "4 | 100:0:100 100:0:100 100:0:100 100:10:110 100:20:120 100:30:130 | 2000 | STALLED",
        // 5. Replay still, lag constant, primary not moving (nothing new to replay): not a stall.
        "5 | 100:50:150 100:50:150 100:50:150 100:50:150 | 2000 | OK",
    })
    void recognisesAStallOnceItsRunIsLongEnough(final int row, final String points, final long minStall,
                                                final LagTrend expected) {
        final String[] ps = points.trim().split("\\s+");
        final List<Trend.Point> window = new ArrayList<>();
        for (int i = 0; i < ps.length; i++) {
            final String[] f = ps[i].split(":");
            window.add(new Trend.Point(i * 1000L, Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), 1));
        }
        assertThat(Trend.evaluate(window, minStall)).as("row %d", row).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void theStallIsMeasuredFromTheFirstPointBehindThePrimary() {
        final List<Trend.Point> w = List.of(new Trend.Point(0, 100, 0, 100, 1), new Trend.Point(1000, 100, 0, 100, 1),
                new Trend.Point(2000, 100, 10, 110, 1), new Trend.Point(3000, 100, 20, 120, 1));
        assertThat(Trend.stallStart(w)).isEqualTo(2000L);
        assertThat(Trend.stallStart(w.subList(0, 2))).as("no lag, no stall").isNull();
    }

    @org.junit.jupiter.api.Test
    void catchUpEtaOnlyWhenGaining() {
        // 1000 bytes behind, replaying 300 B/s while the primary writes 100 B/s: 5 s.
        assertThat(Trend.catchUpEtaMs(1000, 300.0, 100.0)).isEqualTo(5000);
        // Replaying slower than the primary writes: never catches up, no ETA.
        assertThat(Trend.catchUpEtaMs(1000, 100.0, 300.0)).isNull();
        assertThat(Trend.catchUpEtaMs(0, 300.0, 100.0)).isNull();
    }
}
