package io.replwatch.processor.lag;

import java.util.ArrayList;
import java.util.List;

/**
 * A primary's recent (time, LSN) points, oldest first, bounded by age and count: the memory that turns a
 * standby's replay position into a true time lag. Mutable; its points are persisted one per key in the
 * primary-history store.
 */
public final class LsnHistory {

    /** Sample times (epoch ms) and positions, in parallel lists. */
    public List<Long> times = new ArrayList<>();
    public List<Long> lsns = new ArrayList<>();
    public Integer timeline;
    /**
     * The times of the points the last {@link #add} removed (dropped by age, thinned out, or all of them on a reset),
     * so the store deletes exactly those: the newest point is the only one {@code add} creates or changes.
     */
    public final List<Long> removed = new ArrayList<>();

    /**
     * Appends a point. A position going back or a new timeline starts the history afresh (a rewind or failover
     * makes old positions meaningless). Points older than {@code retentionMs} are dropped, and when more than
     * {@code maxPoints} remain the older half is thinned to every other point.
     */
    public void add(final long time, final long lsn, final Integer tl, final long retentionMs, final int maxPoints) {
        removed.clear();
        final int n = times.size();
        if (n > 0 && (Long.compareUnsigned(lsn, lsns.get(n - 1)) < 0 || !java.util.Objects.equals(tl, timeline)
                || time < times.get(n - 1))) {
            removed.addAll(times);
            times.clear();
            lsns.clear();
        }
        timeline = tl;
        if (!times.isEmpty() && times.get(times.size() - 1) == time) {
            lsns.set(lsns.size() - 1, lsn);
            return;
        }
        times.add(time);
        lsns.add(lsn);
        int drop = 0;
        while (drop < times.size() - 2 && time - times.get(drop) > retentionMs) {
            drop++;
        }
        if (drop > 0) {
            removed.addAll(times.subList(0, drop));
            times.subList(0, drop).clear();
            lsns.subList(0, drop).clear();
        }
        if (times.size() > maxPoints) {
            final int half = times.size() / 2;
            final List<Long> t2 = new ArrayList<>();
            final List<Long> l2 = new ArrayList<>();
            for (int i = 0; i < times.size(); i++) {
                if (i >= half || i % 2 == 0) {
                    t2.add(times.get(i));
                    l2.add(lsns.get(i));
                } else {
                    removed.add(times.get(i));
                }
            }
            times = t2;
            lsns = l2;
        }
    }

    public boolean isEmpty() {
        return times.isEmpty();
    }

    public long latestLsn() {
        return lsns.get(lsns.size() - 1);
    }

    public long latestTime() {
        return times.get(times.size() - 1);
    }

    /**
     * The primary's position at {@code time}: the last point at or before it (the first point if none is).
     * Searched from the newest end: a standby's sample is almost always at or after the primary's latest point.
     */
    public Long lsnAt(final long time) {
        if (times.isEmpty()) {
            return null;
        }
        for (int i = times.size() - 1; i >= 0; i--) {
            if (times.get(i) <= time) {
                return lsns.get(i);
            }
        }
        return lsns.get(0);
    }

    /**
     * True time lag of a standby that has replayed up to {@code replayLsn}, observed at {@code at}: {@code at}
     * minus the time the primary moved past that position (interpolated between the last point at or before it
     * and the first point beyond it), zero when the standby has everything the primary had at {@code at}. Null
     * without history.
     *
     * <p>It does not grow on an idle primary (nothing new to replay means zero), and it does grow when the link
     * is cut while the primary writes (the primary passed the frozen position at a fixed time). A consumer caught
     * up with a primary that then sat idle at that very position for minutes is as current as the primary was
     * until its next write: the lag counts from that write, not from when the primary first reached the position.
     */
    public Long timeLag(final long replayLsn, final long at) {
        final Long primaryNow = lsnAt(at);
        if (primaryNow == null) {
            return null;
        }
        if (Long.compareUnsigned(replayLsn, primaryNow) >= 0) {
            return 0L;
        }
        // Positions never go back within a history (add() starts afresh when they do): binary search for the
        // first point beyond the replay position.
        int lo = 0;
        int hi = lsns.size();
        while (lo < hi) {
            final int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(lsns.get(mid), replayLsn) > 0) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        if (lo < lsns.size()) {
            if (lo == 0) {
                return Math.max(0, at - times.get(0));
            }
            final long t0 = times.get(lo - 1);
            final long l0 = lsns.get(lo - 1);
            final long t1 = times.get(lo);
            final long l1 = lsns.get(lo);
            final double frac = l1 == l0 ? 1.0 : (double) (replayLsn - l0) / (double) (l1 - l0);
            final long reachedAt = t0 + Math.round(frac * (t1 - t0));
            return Math.max(0, at - reachedAt);
        }
        // Older than everything we remember: at least as old as the oldest point.
        return Math.max(0, at - times.get(0));
    }
}
