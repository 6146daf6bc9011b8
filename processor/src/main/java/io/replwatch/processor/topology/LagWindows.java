package io.replwatch.processor.topology;

import io.replwatch.avro.LagRate;
import io.replwatch.processor.lag.Trend;
import io.replwatch.processor.state.NodeState;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;

/**
 * Stage: what goes out on replwatch.lag-rates. Per consumer of WAL (a standby; a logical slot's consumer on a
 * primary), one record per tumbling window of {@code lag_rate_window} (event time): the lag at the window's end
 * (the newest sample's figures), its minimum and maximum within the window, the lag, replay and WAL rates over the
 * window, the trend of the sliding lag window as of that sample, and the catch-up ETA from the window's rates.
 *
 * <p>A window is published by the node's first sample dated at or past its end (any sample: an unreachable
 * standby's too), or by the staleness punctuator once the node went silent. No store of its own and no
 * {@code suppress()}: the window lives in the node's state, which is written once per sample anyway, so windowing
 * adds no state write and no changelog record per sample; a suppression buffer would add both. A window of
 * {@code 0s} publishes every sample's figures, as before windows.
 *
 * <p>Health is not judged here: rules and transitions still run on every sample, so a window changes what is
 * published, not how fast a fault is seen. The Prometheus gauges are set per sample too.
 */
final class LagWindows {

    private final long sizeMs;
    private final Outputs out;

    LagWindows(final Duration size, final Outputs out) {
        this.sizeMs = size.toMillis();
        this.out = out;
    }

    boolean windowed() {
        return sizeMs > 0;
    }

    /**
     * Adds one sample's figures ({@code point}: the same sample's trend point) to its consumer's window, or publishes
     * them at once when not windowed. Call {@link #closeDue} with the sample's time first.
     */
    void onSample(final NodeState ns, final LagRate r, final Trend.Point point, final long t) {
        if (!windowed()) {
            out.lagRate(r.getCluster(), r, t);
            return;
        }
        final String key = r.getSlot() == null ? "" : r.getSlot();
        NodeState.LagWindow w = ns.lagWindows.get(key);
        if (w == null || w.samples == 0) {
            final long start = t - Math.floorMod(t, sizeMs);
            final Trend.Point before = w == null ? null : w.last;
            w = new NodeState.LagWindow();
            w.start = start;
            // The window before's last point, when it is recent, so that the rates cover the whole window.
            w.base = before != null && before.time() < t && start - before.time() < sizeMs ? before : point;
            ns.lagWindows.put(key, w);
            ns.lagWindowsDueAt = Math.min(ns.lagWindowsDueAt, start + sizeMs);
        }
        // A sample dated before its open window (its collector's clock stepped back) counts in the open window.
        w.samples++;
        w.last = point;
        final long lag = point.lagBytes();
        w.minLag = w.minLag == null ? lag : Math.min(w.minLag, lag);
        w.maxLag = w.maxLag == null ? lag : Math.max(w.maxLag, lag);
        if (r.getTimeLagMs() != null) {
            w.maxTimeLag = w.maxTimeLag == null ? r.getTimeLagMs() : Math.max(w.maxTimeLag, r.getTimeLagMs());
        }
        w.upstream = r.getUpstream();
        w.sentLag = r.getSentLagBytes();
        w.writeLag = r.getWriteLagBytes();
        w.flushLag = r.getFlushLagBytes();
        w.receiveLag = r.getReceiveLagBytes();
        w.timeLag = r.getTimeLagMs();
        w.trend = r.getTrend();
        w.consumer = r.getConsumer();
        w.consumerAddr = r.getConsumerAddr();
    }

    /**
     * Publishes every window of the node that ended at or before {@code now} (event time), and forgets the baselines
     * of consumers that have had no sample for two windows (a slot dropped, a standby promoted).
     */
    void closeDue(final NodeState ns, final long now) {
        if (!windowed() || now < ns.lagWindowsDueAt) {
            // Nothing is due before then (the walk below would do nothing): most samples stop here.
            return;
        }
        long due = Long.MAX_VALUE;
        final Iterator<Map.Entry<String, NodeState.LagWindow>> it = ns.lagWindows.entrySet().iterator();
        while (it.hasNext()) {
            final Map.Entry<String, NodeState.LagWindow> e = it.next();
            final NodeState.LagWindow w = e.getValue();
            if (w.samples > 0 && w.start + sizeMs <= now) {
                final LagRate r = record(ns, e.getKey(), w);
                out.lagRate(ns.cluster, r, w.start + sizeMs);
                final NodeState.LagWindow closed = new NodeState.LagWindow();
                closed.start = w.start;
                closed.last = w.last;
                e.setValue(closed);
                due = Math.min(due, forgetAt(closed));
            } else if (w.samples == 0 && now - w.last.time() > 2 * sizeMs) {
                it.remove();
            } else {
                due = Math.min(due, w.samples > 0 ? w.start + sizeMs : forgetAt(w));
            }
        }
        ns.lagWindowsDueAt = due;
    }

    /** When a closed window's baseline is forgotten: two windows after its last sample. */
    private long forgetAt(final NodeState.LagWindow closed) {
        return closed.last.time() + 2 * sizeMs + 1;
    }

    private LagRate record(final NodeState ns, final String key, final NodeState.LagWindow w) {
        final Trend.Point a = w.base;
        final Trend.Point b = w.last;
        final long dt = b.time() - a.time();
        final Double replayRate = dt <= 0 || b.replayLsn() < a.replayLsn() ? null
                : (b.replayLsn() - a.replayLsn()) * 1000.0 / dt;
        final Double walRate = dt <= 0 || b.primaryLsn() < a.primaryLsn() ? null
                : (b.primaryLsn() - a.primaryLsn()) * 1000.0 / dt;
        final Double lagRate = dt <= 0 ? null : (b.lagBytes() - a.lagBytes()) * 1000.0 / dt;
        return LagRate.newBuilder()
                .setCluster(ns.cluster)
                .setNode(ns.node)
                .setUpstream(w.upstream)
                .setAt(Instant.ofEpochMilli(b.time()))
                .setWindowMs(sizeMs)
                .setWindowStart(Instant.ofEpochMilli(w.start))
                .setSamples(w.samples)
                .setSentLagBytes(w.sentLag)
                .setWriteLagBytes(w.writeLag)
                .setFlushLagBytes(w.flushLag)
                .setReplayLagBytes(b.lagBytes())
                .setReceiveLagBytes(w.receiveLag)
                .setTimeLagMs(w.timeLag)
                .setMinReplayLagBytes(w.minLag)
                .setMaxReplayLagBytes(w.maxLag)
                .setMaxTimeLagMs(w.maxTimeLag)
                .setLagRateBytesPerSec(lagRate)
                .setReplayRateBytesPerSec(replayRate)
                .setWalRateBytesPerSec(walRate)
                .setTrend(w.trend == null ? io.replwatch.avro.LagTrend.UNKNOWN : w.trend)
                .setCatchUpEtaMs(Trend.catchUpEtaMs(b.lagBytes(), replayRate, walRate))
                .setSlot(key.isEmpty() ? null : key)
                .setConsumer(w.consumer)
                .setConsumerAddr(w.consumerAddr)
                .build();
    }
}
