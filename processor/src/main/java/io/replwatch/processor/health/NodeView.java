package io.replwatch.processor.health;

import io.replwatch.avro.LagTrend;
import io.replwatch.avro.PollStatus;
import java.util.List;

/**
 * Everything the rules look at for one node at one moment, computed by the topology from the node's latest
 * sample and its cluster's state. Rules are pure functions of this view and the thresholds.
 *
 * @param stalledForMs how long the replay position has not moved while the upstream's did (0 when moving)
 * @param conflictsInWindow recovery conflicts counted within the conflicts window
 * @param standbyListedUpstream null when unknown (no fresh primary sample), else whether the primary's
 *        pg_stat_replication lists this standby
 * @param syncMissing null unless this is a primary with synchronous_standby_names set: how many named standbys
 *        are missing (needed minus streaming)
 */
public record NodeView(
        String cluster,
        String node,
        PollStatus status,
        String message,
        boolean stale,
        long staleForMs,
        Boolean inRecovery,
        Boolean replayPaused,
        String receiverStatus,
        Long timeLagMs,
        Long replayLagBytes,
        LagTrend trend,
        long stalledForMs,
        long conflictsInWindow,
        Boolean standbyListedUpstream,
        Integer syncMissing,
        String syncStandbyNames,
        List<SlotView> slots,
        int walSenders,
        Integer maxWalSenders,
        Integer maxReplicationSlots,
        boolean failoverActive,
        String failoverFrom,
        boolean splitBrain,
        List<String> splitBrainNodes) {

    /** A replication slot as the rules see it. */
    public record SlotView(String name, boolean active, boolean temporary, Long retainedBytes, String walStatus,
                           Long safeWalSize) {
    }

    public boolean isStandby() {
        return Boolean.TRUE.equals(inRecovery);
    }

    public boolean isPrimary() {
        return Boolean.FALSE.equals(inRecovery);
    }

    /** Whether the last poll returned data (OK, or PERMISSION_DENIED with partial facts). */
    public boolean hasData() {
        return status == PollStatus.OK && !stale;
    }
}
