package io.replwatch.processor.config;

import io.replwatch.processor.health.Thresholds;
import java.time.Duration;
import java.util.List;

/**
 * The knobs of the topology (not of Kafka): windows, grace, staleness, history, and the rule thresholds.
 *
 * @param walWindows tumbling window sizes of WAL throughput (default 1 min and 1 h)
 * @param grace how long a window stays open for late samples after its end (event time)
 * @param lagWindow the sliding window behind lag rates and trends
 * @param historyRetention how much of a primary's (time, LSN) history to keep for true time lag
 * @param punctuateInterval how often staleness is checked on wall-clock time
 * @param staleIntervals a node is stale after this many of its poll intervals without a sample
 * @param staleMin ... and never sooner than this
 * @param failoverHold how long FAILOVER stays firing on a new primary
 * @param nodeHealthEvery a node's NodeHealth is re-published at least this often (besides every transition)
 * @param conflictsWindow recovery conflicts are counted over this window
 * @param clockSkewWindow a sample dated further ahead of the processor's clock than this, or whose clock jumped back
 *        further than this, is a CLOCK_SKEW (and is processed at the processor's time, so it hides no later sample)
 * @param nodeRetention a node silent this long is forgotten (a node removed from the collectors' configuration
 *        must not stay UNKNOWN for ever): its state goes, its node-health record is deleted
 * @param collectorTakeover how long a node whose collector stopped (or gave its cluster to another collector in the
 *        group) waits for another collector before it counts as stale; a stopped collector whose clusters nobody
 *        polls after this long raises one COLLECTOR_DOWN instead of a SAMPLES_STALE per node
 * @param lagRateWindow the tumbling window of what goes out on replwatch.lag-rates: one record per consumer per
 *        window (default 10 s); zero publishes one per sample
 */
public record TopologySettings(
        List<Duration> walWindows,
        Duration grace,
        Duration lagWindow,
        Duration historyRetention,
        Duration punctuateInterval,
        int staleIntervals,
        Duration staleMin,
        Duration failoverHold,
        Duration nodeHealthEvery,
        Duration conflictsWindow,
        Thresholds thresholds,
        Duration nodeRetention,
        Duration clockSkewWindow,
        Duration collectorTakeover,
        Duration lagRateWindow) {

    public static TopologySettings defaults() {
        return new TopologySettings(List.of(Duration.ofMinutes(1), Duration.ofHours(1)), Duration.ofSeconds(10),
                Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(1), 3, Duration.ofSeconds(15),
                Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMinutes(5), Thresholds.defaults(), Duration.ofDays(1),
                Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(10));
    }

    public TopologySettings withThresholds(final Thresholds t) {
        return new TopologySettings(walWindows, grace, lagWindow, historyRetention, punctuateInterval, staleIntervals,
                staleMin, failoverHold, nodeHealthEvery, conflictsWindow, t, nodeRetention, clockSkewWindow, collectorTakeover,
                lagRateWindow);
    }

    public TopologySettings withClockSkewWindow(final Duration window) {
        return new TopologySettings(walWindows, grace, lagWindow, historyRetention, punctuateInterval, staleIntervals,
                staleMin, failoverHold, nodeHealthEvery, conflictsWindow, thresholds, nodeRetention, window, collectorTakeover,
                lagRateWindow);
    }

    /** The same settings with another {@link #lagRateWindow} (zero: one lag-rates record per sample). */
    public TopologySettings withLagRateWindow(final Duration window) {
        return new TopologySettings(walWindows, grace, lagWindow, historyRetention, punctuateInterval, staleIntervals,
                staleMin, failoverHold, nodeHealthEvery, conflictsWindow, thresholds, nodeRetention, clockSkewWindow,
                collectorTakeover, window);
    }
}
