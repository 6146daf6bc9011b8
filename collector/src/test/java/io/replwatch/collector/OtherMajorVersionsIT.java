package io.replwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.collector.config.NodeConfig;
import io.replwatch.collector.poll.NodePoller;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The poll statement on other PostgreSQL majors than the machine's, with real replication from the zonky
 * binaries on Maven Central: each version's columns (reply_time 12+, wal_status 13+, inactive_since 17+) read.
 */
class OtherMajorVersionsIT {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {13, 17})
    void pollsAPrimaryAndAStandby(final int major) throws Exception {
        try (Sandbox sb = Sandbox.builder().tempDir("pg" + major + "-it-").kafka(false).registry(false).standbys(1).pgVersion(major).start()) {
            final PgNode primary = sb.postgres().primary();
            final PgNode standby = sb.postgres().node("standby1");
            try (NodePoller pp = poller(primary); NodePoller sp = poller(standby)) {
                final ReplicationSample p = pp.poll();
                assertThat(p.getStatus()).as(p.getMessage()).isEqualTo(PollStatus.OK);
                assertThat(p.getServerVersionNum() / 10000).isEqualTo(major);
                assertThat(p.getInRecovery()).isFalse();
                assertThat(p.getReplicas()).singleElement().satisfies(r -> {
                    assertThat(r.getApplicationName()).isEqualTo("standby1");
                    assertThat(r.getSyncState()).isEqualTo("sync");
                    assertThat(r.getReplyTime()).isNotNull(); // 12+
                });
                assertThat(p.getSlots()).singleElement().satisfies(s -> {
                    assertThat(s.getSlotName()).isEqualTo("standby1");
                    assertThat(s.getWalStatus()).isEqualTo("reserved"); // 13+
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    final ReplicationSample s = sp.poll();
                    return s.getStatus() == PollStatus.OK && s.getStandby().getWalReceiver() != null
                            && "streaming".equals(s.getStandby().getWalReceiver().getStatus());
                });
                // Issue 15: archiving, checkpoints and the settings, from pg_stat_bgwriter (13) or
                // pg_stat_checkpointer (17); archive_library exists from 15, restore_command as a setting from 12.
                assertThat(p.getArchiver()).isNotNull();
                assertThat(p.getArchiver().getReadyCount()).as("ready files (12+)").isNotNull();
                assertThat(p.getCheckpointer()).isNotNull();
                assertThat(p.getCheckpointer().getTimed() + p.getCheckpointer().getRequested()).isGreaterThanOrEqualTo(0);
                assertThat(p.getSettings().getMaxWalSizeMb()).isPositive();
                assertThat(p.getSettings().getCheckpointTimeoutS()).isPositive();
                assertThat(p.getSettings().getWalSegmentSize()).as("the sandbox's initdb --wal-segsize=1")
                        .isEqualTo(1024L * 1024);
                assertThat(p.getSettings().getWalLevel()).isIn("replica", "logical");
                assertThat(p.getSettings().getMaxConnections()).isPositive();
                assertThat(p.getSettings().getMaxLocksPerTransaction()).isPositive();
                assertThat(p.getSettings().getDataChecksums()).isNotNull();
                assertThat(p.getSettings().getArchiveCommandSet()).isNotNull();
                final ReplicationSample s = sp.poll();
                assertThat(s.getInRecovery()).isTrue();
                assertThat(s.getSettings().getPrimaryConninfoSet()).as("primary_conninfo (12+)").isTrue();
                assertThat(s.getSettings().getRecoveryMinApplyDelayMs()).isZero();
                assertThat(s.getSettings().getHotStandby()).isTrue();
                assertThat(s.getSystemIdentifier()).isEqualTo(p.getSystemIdentifier());
                assertThat(s.getStandby().getReplayLsn()).isPositive();
                assertThat(s.getStandby().getWalReceiver().getSlotName()).isEqualTo("standby1");

                // A slot nothing consumes: on 17 it reports when it went inactive.
                sb.postgres().createSlot("idle_slot");
                final ReplicationSample withIdle = pp.poll();
                assertThat(withIdle.getSlots()).anySatisfy(slot -> {
                    assertThat(slot.getSlotName()).isEqualTo("idle_slot");
                    assertThat(slot.getActive()).isFalse();
                    if (major >= 17) {
                        assertThat(slot.getInactiveSince()).isNotNull();
                    } else {
                        assertThat(slot.getInactiveSince()).isNull();
                    }
                    assertThat(slot.getTwoPhase()).as("two_phase (14+)").isEqualTo(major >= 14 ? Boolean.FALSE : null);
                    assertThat(slot.getFailover()).as("failover (17+)").isEqualTo(major >= 17 ? Boolean.FALSE : null);
                });

                // Issue 16: the horizon's holders: an open transaction and a prepared one, 50 transactions ago.
                try (var open = sb.postgres().openTransaction("primary")) {
                    sb.postgres().prepareTransaction("it_" + major);
                    sb.postgres().consumeXids(50);
                    final ReplicationSample held = pp.poll();
                    assertThat(held.getHorizon()).isNotNull();
                    assertThat(held.getHorizon().getBackend().getPid()).isEqualTo(open.pid());
                    assertThat(held.getHorizon().getBackend().getXminAge()).isGreaterThanOrEqualTo(50);
                    assertThat(held.getHorizon().getBackend().getState()).isEqualTo("idle in transaction");
                    assertThat(held.getHorizon().getPrepared().getGid()).isEqualTo("it_" + major);
                    assertThat(held.getHorizon().getPrepared().getXminAge()).isGreaterThanOrEqualTo(50);
                } finally {
                    sb.postgres().finishPrepared("it_" + major, false);
                }
            }
        }
    }

    private static NodePoller poller(final PgNode n) {
        return new NodePoller(new NodeConfig("v", n.name(), "127.0.0.1", n.port(), "postgres", PgNode.MONITOR_USER,
                PgNode.MONITOR_PASSWORD, "disable", null, null, null, Map.of()), "it", Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(60), System::currentTimeMillis);
    }
}
