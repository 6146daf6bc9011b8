package io.replwatch.processor.lag;

import io.replwatch.avro.LagTrend;
import java.util.List;

/**
 * Lag trend over a sliding window of a standby's points, after Burrow's consumer-lag rules. Pure.
 *
 * <ol>
 * <li>REWIND: the timeline changed or the replay position went back within the window.</li>
 * <li>OK: the lag is zero now (the standby has everything the primary had).</li>
 * <li>STALLED: the replay position did not move while the primary's did, and the lag was above zero, at every
 * point of a trailing run of the window that spans at least {@code minStallMs} (the whole window when not given:
 * Burrow's rule). One write on an idle primary, seen before the standby replayed it, is not a stall.</li>
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

    /** Burrow's rule: a stall must span the whole window. */
    public static LagTrend evaluate(final List<Point> window) {
        return evaluate(window, window.isEmpty() ? 0 : window.get(window.size() - 1).time() - window.get(0).time());
    }

    /**
     * The time of the first point of the trailing run in which replay stood at the last point's position with a
     * lag above zero (the run a stall is measured on); null when the last point has no lag.
     */
    public static Long stallStart(final List<Point> window) {
        if (window.isEmpty() || window.get(window.size() - 1).lagBytes() <= 0) {
            return null;
        }
        final long replay = window.get(window.size() - 1).replayLsn();
        Long start = null;
        for (int i = window.size() - 1; i >= 0 && window.get(i).replayLsn() == replay && window.get(i).lagBytes() > 0; i--) {
            start = window.get(i).time();
        }
        return start;
    }

    /** As {@link #evaluate(List)}, recognising a stall once its run spans {@code minStallMs}. */
    public static LagTrend evaluate(final List<Point> window, final long minStallMs) {
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
        final Long stallStart = stallStart(window);
        if (stallStart != null && last.time() - stallStart >= minStallMs) {
            Point runFirst = last;
            for (final Point p : window) {
                if (p.time() == stallStart) {
                    runFirst = p;
                    break;
                }
            }
            if (Long.compareUnsigned(last.primaryLsn(), runFirst.primaryLsn()) > 0) {
                return LagTrend.STALLED;
            }
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
