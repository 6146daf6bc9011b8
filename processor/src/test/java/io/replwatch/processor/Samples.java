package io.replwatch.processor;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.RecoveryConflicts;
import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.ReplicationSettings;
import io.replwatch.avro.SlotRow;
import io.replwatch.avro.StandbyInfo;
import io.replwatch.avro.WalReceiver;
import io.replwatch.serde.AvroTrust;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Samples of a small cluster "c": primary "p", standbys "s1" (sync) and "s2" (async), for topology tests. */
public final class Samples {

    public static final long SYSID = 7_000_000_000_000_000_001L;
    private static long seq;

    static {
        AvroTrust.init();
    }

    private Samples() {
    }

    private static ReplicationSample.Builder base(final String node, final long t) {
        return ReplicationSample.newBuilder().setCluster("c").setNode(node).setCollectorId("test")
                .setSequence(++seq).setSampledAt(Instant.ofEpochMilli(t)).setStatus(PollStatus.OK)
                .setLabels(Map.of()).setReplicas(List.of()).setSlots(List.of());
    }

    /** A primary at {@code lsn} with streaming standbys, each replayed up to the given position. */
    public static ReplicationSample primary(final String node, final long t, final long lsn, final int timeline,
                                            final Map<String, Long> standbysReplay) {
        final List<ReplicaRow> rows = new ArrayList<>();
        final List<SlotRow> slots = new ArrayList<>();
        int pid = 100;
        for (final Map.Entry<String, Long> e : new java.util.TreeMap<>(standbysReplay).entrySet()) {
            pid++;
            rows.add(ReplicaRow.newBuilder().setPid(pid).setApplicationName(e.getKey()).setState("streaming")
                    .setSentLsn(lsn).setWriteLsn(lsn).setFlushLsn(lsn).setReplayLsn(e.getValue())
                    .setSyncState(e.getKey().equals("s1") ? "sync" : "async").setSyncPriority(1).build());
            slots.add(SlotRow.newBuilder().setSlotName(e.getKey()).setSlotType("physical").setActive(true)
                    .setActivePid(pid).setTemporary(false).setRestartLsn(e.getValue()).setWalStatus("reserved").build());
        }
        return base(node, t).setInRecovery(false).setTimeline(timeline).setSystemIdentifier(SYSID)
                .setServerVersionNum(150000).setWalLsn(lsn).setReplicas(rows).setSlots(slots)
                .setSettings(settings(t, node.equals("p") ? "FIRST 1 (s1)" : "")).build();
    }

    public static ReplicationSettings settings(final long t, final String syncNames) {
        return ReplicationSettings.newBuilder().setReadAt(Instant.ofEpochMilli(t)).setSynchronousStandbyNames(syncNames)
                .setMaxWalSenders(10).setMaxReplicationSlots(10).build();
    }

    /** A standby that received up to {@code receive} and replayed up to {@code replay}. */
    public static ReplicationSample standby(final String node, final long t, final long receive, final long replay,
                                            final String receiverStatus, final boolean paused, final long conflicts) {
        return base(node, t).setInRecovery(true).setTimeline(1).setSystemIdentifier(SYSID).setServerVersionNum(150000)
                .setStandby(StandbyInfo.newBuilder().setReceiveLsn(receive).setReplayLsn(replay)
                        .setReplayPaused(paused)
                        .setWalReceiver(receiverStatus == null ? null : WalReceiver.newBuilder().setStatus(receiverStatus)
                                .setApplicationName(node).setSlotName(node).build())
                        .setConflicts(RecoveryConflicts.newBuilder().setSnapshot(conflicts).build())
                        .build())
                .build();
    }

    public static ReplicationSample streaming(final String node, final long t, final long replay) {
        return standby(node, t, replay, replay, "streaming", false, 0);
    }

    /** A failed poll. */
    public static ReplicationSample failed(final String node, final long t, final PollStatus status) {
        return base(node, t).setStatus(status).setMessage(status + " for test").build();
    }
}
