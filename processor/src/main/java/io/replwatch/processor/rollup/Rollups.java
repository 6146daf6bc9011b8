package io.replwatch.processor.rollup;

import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.LogicalSlotRollup;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.RecoveryConflicts;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.RollupPeriod;
import io.replwatch.avro.SlotRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Hourly and daily capacity rollups, one node at a time, as pure functions over the node's and cluster's state:
 * {@link #add} folds a sample (and its lag, for a standby) into the open hour; {@link #closeNode} adds each closed
 * hour to its day and hands back the node's periods whose end plus grace has passed; {@link #closeCluster} the cluster's merged periods
 * once a minute more has passed (time for every node's next sample to close its own). A node no longer polled
 * at all closes nothing and is missing from its cluster's figures.
 */
public final class Rollups {

    /** How long after a period's end (plus grace) the cluster's merged figures wait for its nodes. */
    public static final long CLUSTER_DELAY_MS = 60_000;

    private Rollups() {
    }

    /** Per-node rollup memory kept in the node's state. */
    public static final class NodeMemory {
        public Map<String, RollupAcc> open = new java.util.HashMap<>();
        public Long lastWal;
        public Long lastWalAt;
        public Integer lastTimeline;
        public Long lastConflicts;
    }

    public static void add(final NodeMemory m, final ReplicationSample s, final long t, final LagRate lag) {
        add(m, s, t, lag, List.of());
    }

    /**
     * Folds a sample into its node's open hour. The node's day is not touched here: each hour is added to its day when
     * it closes ({@link #closeNode}), so a sample costs one accumulator, not two.
     *
     * @param logical the figures of the primary's logical slots' consumers from this sample (else empty)
     */
    public static void add(final NodeMemory m, final ReplicationSample s, final long t, final LagRate lag,
                           final List<LagRate> logical) {
        final long start = start(RollupPeriod.HOUR, t);
        RollupAcc a = null;
        for (final RollupAcc open : m.open.values()) {
            if (open.start == start && HOUR.equals(open.period)) {
                a = open;
                break;
            }
        }
        if (a == null) {
            a = RollupAcc.open(HOUR, start, end(RollupPeriod.HOUR, start));
            m.open.put(HOUR + "@" + start, a);
        }
        fold(a, m, s, t, lag);
        if (s.getStatus() == PollStatus.OK && Boolean.FALSE.equals(s.getInRecovery()) && s.getWalLsn() != null) {
            foldLogical(a, s, logical);
            m.lastWal = s.getWalLsn();
            m.lastWalAt = t;
            m.lastTimeline = s.getTimeline();
        }
        if (s.getStandby() != null) {
            m.lastConflicts = total(s.getStandby().getConflicts());
        }
    }

    private static final String HOUR = RollupPeriod.HOUR.name();
    private static final String DAY = RollupPeriod.DAY.name();

    /**
     * State written before days held closed hours only (node state before V8): its open day also held every sample
     * of the open hours in it. Takes them out, so that the hours' merge when they close counts them once.
     */
    public static void daysWithoutOpenHours(final NodeMemory m) {
        for (final RollupAcc hour : m.open.values()) {
            if (HOUR.equals(hour.period)) {
                final RollupAcc day = m.open.get(DAY + "@" + start(RollupPeriod.DAY, hour.start));
                if (day != null) {
                    day.subtract(hour);
                }
            }
        }
    }

    private static void fold(final RollupAcc a, final NodeMemory m, final ReplicationSample s, final long t,
                             final LagRate lag) {
        a.samples++;
        if (s.getStatus() != PollStatus.OK) {
            return;
        }
        a.ok++;
        if (Boolean.FALSE.equals(s.getInRecovery()) && s.getWalLsn() != null) {
            final long lsn = s.getWalLsn();
            if (m.lastWal != null && lsn >= m.lastWal && java.util.Objects.equals(m.lastTimeline, s.getTimeline())
                    && t > m.lastWalAt) {
                final long delta = lsn - m.lastWal;
                a.walBytes += delta;
                final double rate = delta * 1000.0 / (t - m.lastWalAt);
                RollupAcc.add(a.walRate, rate);
                a.walRateMax = RollupAcc.max(a.walRateMax, rate);
            }
            long slotMax = -1;
            for (final SlotRow slot : s.getSlots()) {
                if (slot.getRestartLsn() != null) {
                    slotMax = Math.max(slotMax, lsn - slot.getRestartLsn());
                }
            }
            if (slotMax >= 0) {
                a.slotMax = RollupAcc.max(a.slotMax, slotMax);
            }
            a.slotCount = Math.max(a.slotCount, s.getSlots().size());
        }
        if (lag != null) {
            if (lag.getReplayLagBytes() != null) {
                RollupAcc.add(a.lagBytes, lag.getReplayLagBytes());
                a.lagBytesMax = RollupAcc.max(a.lagBytesMax, lag.getReplayLagBytes());
            }
            if (lag.getTimeLagMs() != null) {
                RollupAcc.add(a.lagMs, lag.getTimeLagMs());
                a.lagMsMax = RollupAcc.max(a.lagMsMax, lag.getTimeLagMs());
            }
        }
        if (s.getStandby() != null && m.lastConflicts != null) {
            final long now = total(s.getStandby().getConflicts());
            // A counter that went back was reset (stats reset, restart): count from zero.
            a.conflicts += now >= m.lastConflicts ? now - m.lastConflicts : now;
        }
    }

    private static void foldLogical(final RollupAcc a, final ReplicationSample s, final List<LagRate> logical) {
        for (final SlotRow slot : s.getSlots()) {
            if (!"logical".equals(slot.getSlotType())) {
                continue;
            }
            final RollupAcc.SlotAcc acc = a.logical.computeIfAbsent(slot.getSlotName(), k -> new RollupAcc.SlotAcc());
            acc.plugin = slot.getPlugin();
            if (slot.getRestartLsn() != null) {
                acc.retainedMax = RollupAcc.max(acc.retainedMax, Math.max(0, s.getWalLsn() - slot.getRestartLsn()));
            }
        }
        for (final LagRate l : logical) {
            final RollupAcc.SlotAcc acc = a.logical.get(l.getSlot());
            if (acc == null) {
                continue;
            }
            if (l.getConsumer() != null) {
                acc.consumer = l.getConsumer();
            }
            if (l.getReplayLagBytes() != null) {
                acc.lagBytesMax = RollupAcc.max(acc.lagBytesMax, l.getReplayLagBytes());
            }
            if (l.getTimeLagMs() != null) {
                acc.lagMsMax = RollupAcc.max(acc.lagMsMax, l.getTimeLagMs());
            }
        }
    }

    /**
     * Removes and returns the node's periods that closed by {@code t}: its closed hours, in order, each first added to
     * its day, then its closed days (a day ends with its last hour, so that hour is in it).
     */
    public static List<RollupAcc> closeNode(final NodeMemory m, final long t, final long graceMs) {
        List<RollupAcc> out = null;
        for (final Iterator<RollupAcc> it = m.open.values().iterator(); it.hasNext();) {
            final RollupAcc a = it.next();
            if (HOUR.equals(a.period) && a.end + graceMs <= t) {
                if (out == null) {
                    out = new ArrayList<>();
                }
                out.add(a);
                it.remove();
            }
        }
        if (out == null) {
            return List.of();
        }
        out.sort(java.util.Comparator.comparingLong(a -> a.start));
        for (final RollupAcc hour : out) {
            final long day = start(RollupPeriod.DAY, hour.start);
            m.open.computeIfAbsent(DAY + "@" + day, k -> RollupAcc.open(DAY, day, end(RollupPeriod.DAY, day)))
                    .mergeHour(hour);
        }
        for (final Iterator<RollupAcc> it = m.open.values().iterator(); it.hasNext();) {
            final RollupAcc a = it.next();
            if (a.end + graceMs <= t) {
                out.add(a);
                it.remove();
            }
        }
        return out;
    }

    /** Removes and returns the cluster's merged periods that may be emitted at {@code t}. */
    public static List<RollupAcc> closeCluster(final Map<String, RollupAcc> merged, final long t, final long graceMs) {
        final List<RollupAcc> out = new ArrayList<>();
        for (final Iterator<RollupAcc> it = merged.values().iterator(); it.hasNext();) {
            final RollupAcc a = it.next();
            if (a.end + graceMs + CLUSTER_DELAY_MS <= t) {
                out.add(a);
                it.remove();
            }
        }
        return out;
    }

    public static CapacityRollup record(final String cluster, final String node, final RollupAcc a) {
        final Double p50b = RollupAcc.quantile(a.lagBytes, 0.5, a.lagBytesMax == null ? null : a.lagBytesMax.doubleValue());
        final Double p95b = RollupAcc.quantile(a.lagBytes, 0.95, a.lagBytesMax == null ? null : a.lagBytesMax.doubleValue());
        final Double p50m = RollupAcc.quantile(a.lagMs, 0.5, a.lagMsMax == null ? null : a.lagMsMax.doubleValue());
        final Double p95m = RollupAcc.quantile(a.lagMs, 0.95, a.lagMsMax == null ? null : a.lagMsMax.doubleValue());
        return CapacityRollup.newBuilder()
                .setCluster(cluster)
                .setNode(node)
                .setPeriod(RollupPeriod.valueOf(a.period))
                .setPeriodStart(Instant.ofEpochMilli(a.start))
                .setPeriodEnd(Instant.ofEpochMilli(a.end))
                .setWalBytes(a.walBytes)
                .setWalRatePeak(a.walRateMax)
                .setWalRateP95(RollupAcc.quantile(a.walRate, 0.95, a.walRateMax))
                .setLagBytesP50(p50b == null ? null : Math.round(p50b))
                .setLagBytesP95(p95b == null ? null : Math.round(p95b))
                .setLagBytesMax(a.lagBytesMax)
                .setLagMsP50(p50m == null ? null : Math.round(p50m))
                .setLagMsP95(p95m == null ? null : Math.round(p95m))
                .setLagMsMax(a.lagMsMax)
                .setSlotRetainedBytesMax(a.slotMax)
                .setSlotCount(a.slotCount)
                .setRecoveryConflicts(a.conflicts)
                .setSamples(a.samples)
                .setOkSamples(a.ok)
                .setAvailability(a.samples == 0 ? null : (double) a.ok / a.samples)
                .setLogicalSlots(a.logical.entrySet().stream().map(e -> LogicalSlotRollup.newBuilder()
                        .setSlot(e.getKey())
                        .setPlugin(e.getValue().plugin)
                        .setConsumer(e.getValue().consumer)
                        .setRetainedBytesMax(e.getValue().retainedMax)
                        .setLagBytesMax(e.getValue().lagBytesMax)
                        .setLagMsMax(e.getValue().lagMsMax)
                        .build()).toList())
                .build();
    }

    static long start(final RollupPeriod p, final long t) {
        // UTC hours and days are whole multiples of their length since the epoch (no leap seconds in epoch ms).
        final long size = p == RollupPeriod.HOUR ? 3_600_000L : 86_400_000L;
        return Math.floorDiv(t, size) * size;
    }

    static long end(final RollupPeriod p, final long start) {
        return start + (p == RollupPeriod.HOUR ? 3_600_000L : 86_400_000L);
    }

    private static long total(final RecoveryConflicts c) {
        return c == null ? 0 : c.getTablespace() + c.getLock() + c.getSnapshot() + c.getBufferpin() + c.getDeadlock()
                + c.getLogicalslot();
    }
}
