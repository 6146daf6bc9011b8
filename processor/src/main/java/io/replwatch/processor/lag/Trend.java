package io.replwatch.processor.lag;

import io.replwatch.avro.LagTrend;
import java.util.List;

/**
 * Lag trend over a sliding window of a standby's points, after Burrow's consumer-lag rules. Pure.
 *
 * <ol>
 * <li>REWIND: the timeline changed or the replay position went back within the window.</li>
 * <li>OK: the lag is zero now (the standby has everything the primary had).</li>
 * <li>STALLED: the replay position did not move across the window while the primary's did, and the lag was
 * above zero at every point (one write on an idle primary, seen before the standby replayed it, is not a stall).</li>
 * <li>FALLING_BEHIND: replay moves, but the lag never decreased and ends higher than it started.</li>
 * <li>CATCHING_UP: the lag ends lower than it started.</li>
 * <li>OK: otherwise (a steady, small lag).</li>
 * </ol>
 * Fewer than two points: UNKNOWN.
 */
public final class Trend {

    /** One observation of a standby: time, its replay position, its lag, the primary's position, timeline. */
    public record Point(long time, long replayLsn, long lagBytes, long primaryLsn, Integer timeline) {
    }

    private Trend() {
    }

    public static LagTrend evaluate(final List<Point> window) {
        if (window.size() < 2) {
            return LagTrend.UNKNOWN;
        }
        final Point first = window.get(0);
        final Point last = window.get(window.size() - 1);
        for (int i = 1; i < window.size(); i++) {
            final Point a = window.get(i - 1);
            final Point b = window.get(i);
            if (!java.util.Objects.equals(a.timeline(), b.timeline())
                    || Long.compareUnsigned(b.replayLsn(), a.replayLsn()) < 0) {
                return LagTrend.REWIND;
            }
        }
        if (last.lagBytes() == 0) {
            return LagTrend.OK;
        }
        final boolean laggingThroughout = window.stream().allMatch(p -> p.lagBytes() > 0);
        if (first.replayLsn() == last.replayLsn() && Long.compareUnsigned(last.primaryLsn(), first.primaryLsn()) > 0
                && laggingThroughout) {
            return LagTrend.STALLED;
        }
        boolean neverDecreased = true;
        for (int i = 1; i < window.size(); i++) {
            if (window.get(i).lagBytes() < window.get(i - 1).lagBytes()) {
                neverDecreased = false;
                break;
            }
        }
        if (neverDecreased && last.lagBytes() > first.lagBytes() && first.replayLsn() != last.replayLsn()) {
            return LagTrend.FALLING_BEHIND;
        }
        if (last.lagBytes() < first.lagBytes()) {
            return LagTrend.CATCHING_UP;
        }
        return LagTrend.OK;
    }

    /** Bytes per second between the window's ends of {@code f}; null when the window has no duration. */
    public static Double rate(final List<Point> window, final java.util.function.ToLongFunction<Point> f) {
        if (window.size() < 2) {
            return null;
        }
        final Point first = window.get(0);
        final Point last = window.get(window.size() - 1);
        final long dt = last.time() - first.time();
        return dt <= 0 ? null : (f.applyAsLong(last) - f.applyAsLong(first)) * 1000.0 / dt;
    }

    /** Time to catch up: lag / (replay rate - WAL rate) when the standby gains on the primary, else null. */
    public static Long catchUpEtaMs(final long lagBytes, final Double replayRate, final Double walRate) {
        if (lagBytes <= 0 || replayRate == null || walRate == null || replayRate - walRate <= 0) {
            return null;
        }
        return Math.round(lagBytes / (replayRate - walRate) * 1000);
    }
}
