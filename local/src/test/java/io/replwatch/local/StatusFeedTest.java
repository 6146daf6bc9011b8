package io.replwatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.ArchiverStats;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.ReplicationSettings;
import io.replwatch.avro.StandbyInfo;
import io.replwatch.avro.WalReceiver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The status page's model: each standby's upstream, and each primary's archiving, from the nodes' samples. */
class StatusFeedTest {

    private static final Instant T = Instant.parse("2026-11-27T12:00:00Z");

    static {
        io.replwatch.serde.AvroTrust.init(); // builders fill nested records' defaults
    }

    private final StatusFeed feed = new StatusFeed(Map.of(), Map.of(),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    private static ReplicationSample.Builder sample(final String node, final boolean standby) {
        return ReplicationSample.newBuilder().setCluster("c").setNode(node).setCollectorId("t").setSampledAt(T)
                .setStatus(PollStatus.OK).setInRecovery(standby).setWalLsn(standby ? null : 1000L);
    }

    private static List<ReplicaRow> replicas(final String... names) {
        return java.util.Arrays.stream(names).map(n -> ReplicaRow.newBuilder().setApplicationName(n).setState("streaming")
                .build()).toList();
    }

    private static StandbyInfo receiver(final String status, final String host, final Integer port) {
        return StandbyInfo.newBuilder().setWalReceiver(status == null ? null
                : WalReceiver.newBuilder().setStatus(status).setSenderHost(host).setSenderPort(port).build()).build();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> node(final String name) {
        return ((List<Map<String, Object>>) feed.snapshot().get("nodes")).stream()
                .filter(n -> name.equals(n.get("node"))).findFirst().orElseThrow();
    }

    @Test
    void standbysShowTheNodeTheyStreamFromACascadeBeforeThePrimary() {
        feed.accept(sample("p", false).setReplicas(replicas("s1", "s2")).build());
        feed.accept(sample("s1", true).setStandby(receiver("streaming", "10.0.0.1", 5432)).build());
        feed.accept(sample("s2", true).setReplicas(replicas("s3")).setStandby(receiver("streaming", "10.0.0.1", 5432)).build());
        feed.accept(sample("s3", true).setStandby(receiver("streaming", "10.0.0.2", 5432)).build());
        assertThat(node("s1").get("upstream")).isEqualTo("p");
        assertThat(node("s3").get("upstream")).isEqualTo("s2");
        assertThat(node("p").get("upstream")).isNull();
        // s2 down: s3 still shows s2 (from s2's last answer), not streaming.
        feed.accept(sample("s2", true).setStatus(PollStatus.UNREACHABLE).setInRecovery(null).build());
        feed.accept(sample("s3", true).setStandby(receiver(null, null, null)).build());
        assertThat(node("s3").get("upstream")).isEqualTo("s2");
        assertThat(node("s3").get("feed")).isEqualTo("no WAL receiver");
        // Unknown to every node listed: the receiver's sender, else the archive.
        feed.accept(sample("x", true).setStandby(receiver("streaming", "db9", 6432)).build());
        assertThat(node("x").get("upstream")).isEqualTo("db9:6432");
        feed.accept(sample("a", true).setStandby(receiver(null, null, null)).setSettings(ReplicationSettings.newBuilder()
                .setReadAt(T).setRestoreCommandSet(true).setPrimaryConninfoSet(false).build()).build());
        assertThat(node("a").get("upstream")).isEqualTo("archive (restore_command)");
        assertThat(node("a").get("feed")).isEqualTo("archive");
    }

    @Test
    void primariesShowTheirArchiver() {
        final ReplicationSettings on = ReplicationSettings.newBuilder().setReadAt(T).setArchiveMode("on")
                .setArchiveCommandSet(true).build();
        feed.accept(sample("p", false).setSettings(ReplicationSettings.newBuilder(on).setArchiveMode("off").build()).build());
        assertThat(archiving()).containsEntry("state", "off");
        feed.accept(sample("p", false).setSettings(on).setArchiver(ArchiverStats.newBuilder().setArchivedCount(10)
                .setFailedCount(0).setLastArchivedWal("000000010000000000000010").setLastArchivedAt(T).setReadyCount(0)
                .build()).build());
        assertThat(archiving()).containsEntry("state", "ok").containsEntry("ready", 0)
                .containsEntry("last_archived_wal", "000000010000000000000010");
        // A failure newer than the last success: failing, with what waits.
        feed.accept(sample("p", false).setSettings(on).setArchiver(ArchiverStats.newBuilder().setArchivedCount(10)
                .setFailedCount(3).setLastArchivedWal("000000010000000000000010").setLastArchivedAt(T)
                .setLastFailedWal("000000010000000000000011").setLastFailedAt(T.plusSeconds(30)).setReadyCount(4)
                .build()).build());
        assertThat(archiving()).containsEntry("state", "failing").containsEntry("ready", 4)
                .containsEntry("last_failed_wal", "000000010000000000000011");
        // An older failure after a newer success: ok again.
        feed.accept(sample("p", false).setSettings(on).setArchiver(ArchiverStats.newBuilder().setArchivedCount(15)
                .setFailedCount(3).setLastArchivedWal("000000010000000000000015").setLastArchivedAt(T.plusSeconds(60))
                .setLastFailedWal("000000010000000000000011").setLastFailedAt(T.plusSeconds(30)).setReadyCount(0)
                .build()).build());
        assertThat(archiving()).containsEntry("state", "ok");
        // archive_mode on without a command: said so.
        feed.accept(sample("p", false).setSettings(ReplicationSettings.newBuilder(on).setArchiveCommandSet(false).build())
                .build());
        assertThat(archiving()).containsEntry("state", "no archive_command");
    }

    /** Issue 16: a primary's logical consumers, and the horizon's holder as its rule says it. */
    @Test
    @SuppressWarnings("unchecked")
    void primariesShowTheirLogicalConsumersAndWhatHoldsTheHorizon() {
        feed.accept(sample("p", false).setSlots(List.of(io.replwatch.avro.SlotRow.newBuilder().setSlotName("cdc")
                .setSlotType("logical").setActive(false).setPlugin("pgoutput").setDatabase("shop").build(),
                io.replwatch.avro.SlotRow.newBuilder().setSlotName("s1").setSlotType("physical").setActive(true).build()))
                .build());
        assertThat((List<?>) node("p").get("logical_slots")).singleElement()
                .isEqualTo(Map.of("name", "cdc", "plugin", "pgoutput", "database", "shop", "active", false));
        // Its consumer's figures sit beside the slot; the node's own lag is untouched.
        feed.accept(LagRate.newBuilder().setCluster("c").setNode("p").setUpstream("p").setSlot("cdc")
                .setConsumer("orders_sub").setAt(T).setWindowMs(60_000).setReplayLagBytes(4096L).setTimeLagMs(42_000L)
                .setTrend(io.replwatch.avro.LagTrend.STALLED).build());
        assertThat((List<Map<String, Object>>) node("p").get("logical_slots")).singleElement().satisfies(l -> {
            assertThat(l).containsEntry("consumer", "orders_sub").containsEntry("lag_seconds", 42.0)
                    .containsEntry("trend", "STALLED");
        });
        assertThat(node("p").get("lag_bytes")).as("a primary's own lag").isNull();
        feed.accept(io.replwatch.avro.HealthTransition.newBuilder().setId("x").setCluster("c").setNode("p")
                .setFromState(io.replwatch.avro.HealthState.HEALTHY).setToState(io.replwatch.avro.HealthState.WARNING)
                .setAt(T).setReasons(List.of(io.replwatch.avro.HealthReason.newBuilder().setRule("XMIN_HORIZON")
                        .setSeverity(io.replwatch.avro.HealthState.WARNING)
                        .setMessage("the xmin horizon is 20000000 transactions old, held by backend pid 42").build()))
                .setCleared(List.of()).setLabels(Map.of()).build());
        assertThat(node("p").get("reason_text")).isEqualTo(
                Map.of("XMIN_HORIZON", "the xmin horizon is 20000000 transactions old, held by backend pid 42"));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> archiving() {
        return (Map<String, Object>) node("p").get("archiving");
    }

    @Test
    void aPrimaryShowsTheStandbyFailoverCheckWouldPromote() {
        feed.accept(sample("p", false).setReplicas(replicas("s1")).build());
        final io.replwatch.avro.NodeHealth.Builder h = io.replwatch.avro.NodeHealth.newBuilder().setCluster("c").setNode("p")
                .setRole("PRIMARY").setState(io.replwatch.avro.HealthState.HEALTHY).setSince(T).setUpdatedAt(T);
        feed.accept(h.build());
        assertThat(node("p")).doesNotContainKey("failover");
        feed.accept(h.setFailover(io.replwatch.avro.FailoverCheck.newBuilder().setPrimary("p").setComputedAt(T)
                .setPick("s1").setWhy("sync, streaming").setPolicy("x").build()).build());
        assertThat(node("p").get("failover")).isEqualTo(Map.of("pick", "s1", "why", "sync, streaming"));
        feed.accept(h.setFailover(io.replwatch.avro.FailoverCheck.newBuilder().setPrimary("p").setComputedAt(T)
                .setPick(null).setWhy("no standby is eligible").setPolicy("x").build()).build());
        assertThat(node("p").get("failover")).isEqualTo(Map.of("pick", "none eligible", "why", "no standby is eligible"));
    }
}
