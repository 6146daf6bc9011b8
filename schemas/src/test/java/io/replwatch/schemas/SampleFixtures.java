package io.replwatch.schemas;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.RecoveryConflicts;
import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.ReplicationSettings;
import io.replwatch.avro.SlotRow;
import java.util.List;
import java.util.Map;

/** Typical samples for tests and benchmarks, shared through the schemas test-jar. */
public final class SampleFixtures {

    static {
        io.replwatch.serde.AvroTrust.init();
    }

    private SampleFixtures() {
    }

    /** A primary with a synchronous and an asynchronous standby, each on its own physical slot. */
    public static ReplicationSample primaryWithTwoStandbys(final long sampledAt) {
        final long lsn = Lsn.parse("16/B374D848").value();
        return ReplicationSample.newBuilder()
                .setCluster("orders-eu")
                .setNode("orders-eu-1")
                .setCollectorId("collector-a")
                .setSequence(42)
                .setSampledAt(java.time.Instant.ofEpochMilli(sampledAt))
                .setPollDurationMs(3)
                .setStatus(PollStatus.OK)
                .setLabels(Map.of("env", "prod", "region", "eu-west-1"))
                .setServerVersionNum(150013)
                .setSystemIdentifier(7312345678901234567L)
                .setInRecovery(false)
                .setTimeline(1)
                .setServerTime(java.time.Instant.ofEpochMilli(sampledAt + 1))
                .setWalLsn(lsn)
                .setReplicas(List.of(
                        replica("orders-eu-2", "10.0.0.2", "sync", 1, lsn, lsn - 128, sampledAt),
                        replica("orders-eu-3", "10.0.0.3", "async", 0, lsn - 4096, lsn - 65536, sampledAt)))
                .setSlots(List.of(slot("orders_eu_2", lsn - 128), slot("orders_eu_3", lsn - 65536)))
                .setStandby(null)
                .setSettings(ReplicationSettings.newBuilder()
                        .setReadAt(java.time.Instant.ofEpochMilli(sampledAt - 30_000))
                        .setSynchronousStandbyNames("FIRST 1 (orders-eu-2)")
                        .setSynchronousCommit("on")
                        .setMaxWalSenders(10)
                        .setMaxReplicationSlots(10)
                        .setWalKeepSizeMb(0L)
                        .setMaxSlotWalKeepSizeMb(-1L)
                        .setHotStandbyFeedback(false)
                        .setMaxStandbyStreamingDelayMs(30_000L)
                        .setClusterName("orders-eu-1")
                        .build())
                .build();
    }

    /** A streaming standby with a WAL receiver, some recovery conflicts, and an LSN above 2^63. */
    public static ReplicationSample standby(final long sampledAt) {
        final long lsn = Lsn.parse("FFFFFFFE/00000010").value();
        return ReplicationSample.newBuilder()
                .setCluster("orders-eu")
                .setNode("orders-eu-2")
                .setCollectorId("collector-a")
                .setSequence(7)
                .setSampledAt(java.time.Instant.ofEpochMilli(sampledAt))
                .setPollDurationMs(2)
                .setStatus(PollStatus.OK)
                .setServerVersionNum(170002)
                .setSystemIdentifier(7312345678901234567L)
                .setInRecovery(true)
                .setTimeline(3)
                .setStandby(io.replwatch.avro.StandbyInfo.newBuilder()
                        .setReceiveLsn(lsn)
                        .setReplayLsn(lsn - 4096)
                        .setLastXactReplayAt(java.time.Instant.ofEpochMilli(sampledAt - 1500))
                        .setReplayPaused(false)
                        .setWalReceiver(io.replwatch.avro.WalReceiver.newBuilder()
                                .setPid(99)
                                .setStatus("streaming")
                                .setReceivedTli(3)
                                .setFlushedLsn(lsn)
                                .setLatestEndLsn(lsn)
                                .setLatestEndAt(java.time.Instant.ofEpochMilli(sampledAt - 10))
                                .setLastMsgSendAt(java.time.Instant.ofEpochMilli(sampledAt - 20))
                                .setLastMsgReceiptAt(java.time.Instant.ofEpochMilli(sampledAt - 19))
                                .setSlotName("orders_eu_2")
                                .setSenderHost("10.0.0.1")
                                .setSenderPort(5432)
                                .setApplicationName("orders-eu-2")
                                .build())
                        .setConflicts(RecoveryConflicts.newBuilder().setSnapshot(12).setLock(1).build())
                        .build())
                .build();
    }

    private static ReplicaRow replica(final String name, final String addr, final String sync, final int prio,
                                      final long sent, final long replay, final long now) {
        return ReplicaRow.newBuilder()
                .setPid(4242)
                .setApplicationName(name)
                .setClientAddr(addr)
                .setState("streaming")
                .setSentLsn(sent)
                .setWriteLsn(sent)
                .setFlushLsn(sent)
                .setReplayLsn(replay)
                .setWriteLagMs(1L)
                .setFlushLagMs(2L)
                .setReplayLagMs(5L)
                .setSyncState(sync)
                .setSyncPriority(prio)
                .setReplyTime(java.time.Instant.ofEpochMilli(now - 100))
                .setBackendStart(java.time.Instant.ofEpochMilli(now - 86_400_000L))
                .build();
    }

    private static SlotRow slot(final String name, final long restart) {
        return SlotRow.newBuilder()
                .setSlotName(name)
                .setSlotType("physical")
                .setActive(true)
                .setActivePid(4242)
                .setTemporary(false)
                .setRestartLsn(restart)
                .setWalStatus("reserved")
                .build();
    }

    /**
     * Equality of generated records by content. Avro 1.12's generated equals() throws on timestamp fields inside
     * array items (GenericData.Array compares with a model that lacks the logical-type conversions), so tests
     * compare the JSON rendering, which covers every field.
     */
    public static String content(final org.apache.avro.specific.SpecificRecord record) {
        return record == null ? null : record.toString();
    }

    /** An empty conflicts record, as a standby with none reports. */
    public static RecoveryConflicts noConflicts() {
        return RecoveryConflicts.newBuilder().build();
    }
}
