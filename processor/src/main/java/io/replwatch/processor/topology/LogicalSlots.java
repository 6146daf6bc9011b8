package io.replwatch.processor.topology;

import io.replwatch.avro.LagRate;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.SlotRow;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.lag.Trend;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Lsn;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Stage, on a primary's samples: each logical slot's consumer judged as a standby is, with the same trend model
 * (OK, CATCHING_UP, FALLING_BEHIND, STALLED): its confirmed_flush_lsn against the primary's current position, over
 * the lag window, and its true time lag from the primary's LSN history. Each slot's figures go out as a
 * {@link LagRate} with {@code slot} set, on replwatch.lag-rates and (latest per slot) replwatch.logical-consumers.
 * A slot that disappears is forgotten (and its latest record withdrawn); a node that is no longer a primary keeps
 * none.
 */
final class LogicalSlots {

    private LogicalSlots() {
    }

    /**
     * Adds this sample's point to every logical slot's window ({@code windowMs}, the lag window) and its spilled
     * bytes where they changed ({@code spillWindowMs}).
     */
    static Published onSample(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs,
                              final long windowMs, final long spillWindowMs, final long minStallMs) {
        if (!Samples.isOk(s)) {
            return Published.NONE;
        }
        if (!Samples.isPrimary(s) || s.getWalLsn() == null) {
            if (ns.logicalSlotPoints.isEmpty() && ns.slotSpill.isEmpty()) {
                return Published.NONE; // every standby's every sample: nothing to clear
            }
            final List<String> gone = new ArrayList<>(ns.logicalSlotPoints.keySet());
            ns.logicalSlotPoints.clear();
            ns.slotSpill.clear();
            return gone.isEmpty() ? Published.NONE : new Published(List.of(), gone);
        }
        if (s.getSlots().isEmpty() && ns.logicalSlotPoints.isEmpty() && ns.slotSpill.isEmpty()) {
            return Published.NONE; // most primaries: nothing allocated per sample
        }
        spill(s, t, ns, spillWindowMs);
        final Set<String> seen = new HashSet<>();
        final List<LagRate> rates = new ArrayList<>();
        for (final SlotRow slot : s.getSlots()) {
            if (!"logical".equals(slot.getSlotType()) || slot.getConfirmedFlushLsn() == null) {
                continue;
            }
            seen.add(slot.getSlotName());
            final long wal = s.getWalLsn();
            final long confirmed = slot.getConfirmedFlushLsn();
            final List<Trend.Point> window = ns.logicalSlotPoints.computeIfAbsent(slot.getSlotName(),
                    k -> new ArrayList<>());
            StandbyLag.addPoint(window, new Trend.Point(t, confirmed, Lsn.bytesBehind(wal, confirmed), wal,
                    s.getTimeline()), windowMs);
            rates.add(lagRate(s, t, slot, window, cs, windowMs, minStallMs));
        }
        final List<String> gone = new ArrayList<>();
        if (ns.logicalSlotPoints.size() != seen.size()) {
            for (final String name : ns.logicalSlotPoints.keySet()) {
                if (!seen.contains(name)) {
                    gone.add(name);
                }
            }
            ns.logicalSlotPoints.keySet().retainAll(seen);
        }
        return new Published(rates, gone);
    }

    /** What a primary's sample publishes about its logical slots: each one's figures, and the slots now gone. */
    record Published(List<LagRate> rates, List<String> gone) {
        static final Published NONE = new Published(List.of(), List.of());
    }

    private static LagRate lagRate(final ReplicationSample s, final long t, final SlotRow slot,
                                   final List<Trend.Point> window, final ClusterState cs, final long windowMs,
                                   final long minStallMs) {
        final Trend.Point last = window.get(window.size() - 1);
        final Double consumed = Trend.rate(window, Trend.Point::replayLsn);
        final Double wal = Trend.rate(window, Trend.Point::primaryLsn);
        final ReplicaRow sender = sender(s, slot);
        return LagRate.newBuilder()
                .setCluster(s.getCluster())
                .setNode(s.getNode())
                .setUpstream(s.getNode())
                .setSlot(slot.getSlotName())
                .setConsumer(sender == null ? null : sender.getApplicationName())
                .setConsumerAddr(sender == null ? null : sender.getClientAddr())
                .setAt(Instant.ofEpochMilli(t))
                .setWindowMs(windowMs)
                .setSentLagBytes(sender == null ? null : Lsn.bytesBehindOrNull(s.getWalLsn(), sender.getSentLsn()))
                .setWriteLagBytes(sender == null ? null : Lsn.bytesBehindOrNull(s.getWalLsn(), sender.getWriteLsn()))
                .setFlushLagBytes(sender == null ? null : Lsn.bytesBehindOrNull(s.getWalLsn(), sender.getFlushLsn()))
                .setReplayLagBytes(last.lagBytes())
                .setTimeLagMs(cs.history.isEmpty() ? null : cs.history.timeLag(last.replayLsn(), t))
                .setLagRateBytesPerSec(Trend.rate(window, Trend.Point::lagBytes))
                .setReplayRateBytesPerSec(consumed)
                .setWalRateBytesPerSec(wal)
                .setTrend(Trend.evaluate(window, minStallMs))
                .setCatchUpEtaMs(Trend.catchUpEtaMs(last.lagBytes(), consumed, wal))
                .build();
    }

    /** The WAL sender streaming the slot (pg_replication_slots.active_pid is its pid), if one does. */
    static ReplicaRow sender(final ReplicationSample s, final SlotRow slot) {
        if (slot.getActivePid() == null) {
            return null;
        }
        for (final ReplicaRow r : s.getReplicas()) {
            if (slot.getActivePid().equals(r.getPid())) {
                return r;
            }
        }
        return null;
    }

    private static void spill(final ReplicationSample s, final long t, final NodeState ns, final long windowMs) {
        final Set<String> seen = new HashSet<>();
        for (final SlotRow slot : s.getSlots()) {
            if (slot.getSpillBytes() == null) {
                continue;
            }
            seen.add(slot.getSlotName());
            StandbyLag.addCount(ns.slotSpill.computeIfAbsent(slot.getSlotName(), k -> new ArrayList<>()), t,
                    slot.getSpillBytes(), windowMs);
        }
        if (ns.slotSpill.size() != seen.size()) {
            ns.slotSpill.keySet().retainAll(seen);
        }
    }

    /** Bytes a slot spilled to disk within the spill window: its newest total minus the baseline. */
    static long spilledInWindow(final NodeState ns, final String slot) {
        return StandbyLag.countInWindow(ns.slotSpill.get(slot));
    }

    /** Each logical slot as the rules see it; {@code minStallMs} as for standbys. */
    static List<NodeView.LogicalSlot> views(final ReplicationSample s, final NodeState ns, final ClusterState cs,
                                            final long t, final long minStallMs) {
        if (ns.logicalSlotPoints.isEmpty()) {
            return List.of();
        }
        final List<NodeView.LogicalSlot> out = new ArrayList<>();
        for (final SlotRow slot : s.getSlots()) {
            final List<Trend.Point> window = ns.logicalSlotPoints.get(slot.getSlotName());
            if (window == null || window.isEmpty() || !"logical".equals(slot.getSlotType())) {
                continue;
            }
            final Trend.Point last = window.get(window.size() - 1);
            final LagTrend trend = Trend.evaluate(window, minStallMs);
            final Long stallStart = trend == LagTrend.STALLED ? Trend.stallStart(window) : null;
            final Double consumed = Trend.rate(window, Trend.Point::replayLsn);
            final Double wal = Trend.rate(window, Trend.Point::primaryLsn);
            final ReplicaRow sender = sender(s, slot);
            out.add(new NodeView.LogicalSlot(slot.getSlotName(), slot.getPlugin(), slot.getDatabase(), slot.getActive(),
                    last.lagBytes(), trend, stallStart == null ? 0 : last.time() - stallStart,
                    Trend.catchUpEtaMs(last.lagBytes(), consumed, wal), consumed, wal,
                    spilledInWindow(ns, slot.getSlotName()), slot.getSpillTxns(),
                    cs.history.isEmpty() ? null : cs.history.timeLag(last.replayLsn(), t),
                    sender == null ? null : sender.getApplicationName()));
        }
        return out;
    }
}
