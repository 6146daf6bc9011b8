package io.replwatch.collector.poll;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.avro.RecoveryConflicts;
import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.ArchiverStats;
import io.replwatch.avro.CheckpointerStats;
import io.replwatch.avro.ReplicationSettings;
import io.replwatch.avro.SlotRow;
import io.replwatch.avro.SubscriptionRow;
import io.replwatch.avro.XminBackend;
import io.replwatch.avro.XminHolders;
import io.replwatch.avro.XminPrepared;
import io.replwatch.avro.StandbyInfo;
import io.replwatch.avro.WalReceiver;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Maps the row of {@link PollQuery} onto a sample builder. Pure: no I/O beyond reading the given row. */
public final class SampleMapper {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SampleMapper() {
    }

    /** Fills role, positions, replicas, slots and standby facts into {@code b} from the current row. */
    public static void map(final ResultSet rs, final ReplicationSample.Builder b) throws SQLException {
        b.setServerVersionNum(rs.getInt("server_version_num"));
        final boolean recovery = rs.getBoolean("in_recovery");
        b.setInRecovery(recovery);
        b.setServerTime(instant(longOrNull(rs, "server_time")));
        b.setWalLsn(lsn(rs.getBigDecimal("wal_lsn")));
        b.setTimeline(intOrNull(rs, "timeline"));
        b.setReplicas(replicas(json(rs, "replicas")));
        b.setSlots(slots(json(rs, "slots")));
        b.setArchiver(archiver(json(rs, "archiver"), json(rs, "archive_ready")));
        b.setCheckpointer(checkpointer(json(rs, "checkpointer")));
        b.setHorizon(horizon(json(rs, "horizon")));
        b.setSubscriptions(subscriptions(json(rs, "subscriptions")));
        if (recovery) {
            final JsonNode conflicts = json(rs, "conflicts");
            b.setStandby(StandbyInfo.newBuilder()
                    .setReceiveLsn(lsn(rs.getBigDecimal("receive_lsn")))
                    .setReplayLsn(lsn(rs.getBigDecimal("replay_lsn")))
                    .setLastXactReplayAt(instant(longOrNull(rs, "last_xact_replay_at")))
                    .setReplayPaused((Boolean) rs.getObject("replay_paused"))
                    .setWalReceiver(walReceiver(json(rs, "wal_receiver")))
                    .setConflicts(RecoveryConflicts.newBuilder()
                            .setTablespace(conflicts.path("tablespace").asLong())
                            .setLock(conflicts.path("lock").asLong())
                            .setSnapshot(conflicts.path("snapshot").asLong())
                            .setBufferpin(conflicts.path("bufferpin").asLong())
                            .setDeadlock(conflicts.path("deadlock").asLong())
                            .setLogicalslot(conflicts.path("logicalslot").asLong())
                            .build())
                    .build());
        } else {
            b.setStandby(null);
        }
    }

    /** The settings column (present when the poll asked for it), read at {@code now}. */
    public static ReplicationSettings settings(final ResultSet rs, final long now) throws SQLException {
        final JsonNode s = json(rs, "settings");
        final JsonNode m = json(rs, "settings_more");
        final Long keepSize = s.hasNonNull("wal_keep_size") ? s.get("wal_keep_size").asLong()
                : s.hasNonNull("wal_keep_segments") ? s.get("wal_keep_segments").asLong() * segmentMb(s) : null;
        return ReplicationSettings.newBuilder()
                .setReadAt(Instant.ofEpochMilli(now))
                .setSynchronousStandbyNames(text(s, "synchronous_standby_names"))
                .setSynchronousCommit(text(s, "synchronous_commit"))
                .setMaxWalSenders(s.hasNonNull("max_wal_senders") ? s.get("max_wal_senders").asInt() : null)
                .setMaxReplicationSlots(s.hasNonNull("max_replication_slots") ? s.get("max_replication_slots").asInt() : null)
                .setWalKeepSizeMb(keepSize)
                .setMaxSlotWalKeepSizeMb(s.hasNonNull("max_slot_wal_keep_size") ? s.get("max_slot_wal_keep_size").asLong() : null)
                .setHotStandbyFeedback(s.hasNonNull("hot_standby_feedback") ? "on".equals(s.get("hot_standby_feedback").asText()) : null)
                .setMaxStandbyStreamingDelayMs(s.hasNonNull("max_standby_streaming_delay")
                        ? s.get("max_standby_streaming_delay").asLong() : null)
                .setPrimarySlotName(text(s, "primary_slot_name"))
                .setClusterName(text(s, "cluster_name"))
                .setWalSegmentSize(longOrNull(m, "wal_segment_size"))
                .setArchiveMode(text(m, "archive_mode"))
                .setArchiveCommandSet(boolOrNull(m, "archive_command_set"))
                .setArchiveTimeoutS(intOrNull(m, "archive_timeout_s"))
                .setCheckpointTimeoutS(intOrNull(m, "checkpoint_timeout_s"))
                .setMaxWalSizeMb(longOrNull(m, "max_wal_size_mb"))
                .setMinWalSizeMb(longOrNull(m, "min_wal_size_mb"))
                .setWalLevel(text(m, "wal_level"))
                .setDataChecksums(boolOrNull(m, "data_checksums"))
                .setFullPageWrites(boolOrNull(m, "full_page_writes"))
                .setHotStandby(boolOrNull(m, "hot_standby"))
                .setRecoveryMinApplyDelayMs(longOrNull(m, "recovery_min_apply_delay_ms"))
                .setRestoreCommandSet(boolOrNull(m, "restore_command_set"))
                .setPrimaryConninfoSet(boolOrNull(m, "primary_conninfo_set"))
                .setMaxConnections(intOrNull(m, "max_connections"))
                .setMaxWorkerProcesses(intOrNull(m, "max_worker_processes"))
                .setMaxPreparedTransactions(intOrNull(m, "max_prepared_transactions"))
                .setMaxLocksPerTransaction(intOrNull(m, "max_locks_per_transaction"))
                .build();
    }

    /** pg_stat_archiver and the waiting .ready files. */
    static ArchiverStats archiver(final JsonNode a, final JsonNode ready) {
        if (a == null || !a.isObject()) {
            return null;
        }
        return ArchiverStats.newBuilder()
                .setArchivedCount(a.path("archived_count").asLong())
                .setFailedCount(a.path("failed_count").asLong())
                .setLastArchivedWal(text(a, "last_archived_wal"))
                .setLastArchivedAt(instant(longOrNull(a, "last_archived_at")))
                .setLastFailedWal(text(a, "last_failed_wal"))
                .setLastFailedAt(instant(longOrNull(a, "last_failed_at")))
                .setStatsReset(instant(longOrNull(a, "stats_reset")))
                .setReadyCount(intOrNull(ready, "ready_count"))
                .setOldestReadyAt(instant(longOrNull(ready, "oldest_ready_at")))
                .build();
    }

    /** A subscriber's subscriptions: state, apply worker, positions, error counts. */
    static List<SubscriptionRow> subscriptions(final JsonNode rows) {
        final List<SubscriptionRow> out = new ArrayList<>();
        for (final JsonNode r : rows) {
            out.add(SubscriptionRow.newBuilder()
                    .setName(r.path("name").asText())
                    .setEnabled(r.path("enabled").asBoolean())
                    .setDatabase(text(r, "database"))
                    .setSlotName(text(r, "slot_name"))
                    .setApplyPid(intOrNull(r, "apply_pid"))
                    .setSyncWorkers(intOrNull(r, "sync_workers"))
                    .setReceivedLsn(lsn(r, "received_lsn"))
                    .setLatestEndLsn(lsn(r, "latest_end_lsn"))
                    .setLatestEndAt(instant(longOrNull(r, "latest_end_at")))
                    .setLastMsgSendAt(instant(longOrNull(r, "last_msg_send_at")))
                    .setLastMsgReceiptAt(instant(longOrNull(r, "last_msg_receipt_at")))
                    .setApplyErrorCount(longOrNull(r, "apply_error_count"))
                    .setSyncErrorCount(longOrNull(r, "sync_error_count"))
                    .build());
        }
        return out;
    }

    /** The oldest running and the oldest prepared transaction holding the xmin horizon; null when neither does. */
    static XminHolders horizon(final JsonNode h) {
        if (h == null || !h.isObject()) {
            return null;
        }
        final JsonNode b = h.get("backend");
        final JsonNode p = h.get("prepared");
        final XminBackend backend = b == null || !b.isObject() ? null : XminBackend.newBuilder()
                .setPid(b.path("pid").asInt()).setXminAge(b.path("xmin_age").asLong()).setState(text(b, "state"))
                .setBackendType(text(b, "backend_type")).setDatabase(text(b, "database"))
                .setApplicationName(text(b, "application_name")).setXactStart(instant(longOrNull(b, "xact_start")))
                .build();
        final XminPrepared prepared = p == null || !p.isObject() ? null : XminPrepared.newBuilder()
                .setGid(p.path("gid").asText()).setXminAge(p.path("xmin_age").asLong()).setDatabase(text(p, "database"))
                .setPreparedAt(instant(longOrNull(p, "prepared_at"))).build();
        return backend == null && prepared == null ? null
                : XminHolders.newBuilder().setBackend(backend).setPrepared(prepared).build();
    }

    /** Timed and requested checkpoints. */
    static CheckpointerStats checkpointer(final JsonNode c) {
        if (c == null || !c.isObject()) {
            return null;
        }
        return CheckpointerStats.newBuilder().setTimed(c.path("timed").asLong()).setRequested(c.path("requested").asLong())
                .setStatsReset(instant(longOrNull(c, "stats_reset"))).build();
    }

    private static Boolean boolOrNull(final JsonNode n, final String field) {
        return n.hasNonNull(field) ? n.get(field).asBoolean() : null;
    }

    private static Integer intOrNull(final JsonNode n, final String field) {
        return n.hasNonNull(field) ? n.get(field).asInt() : null;
    }

    private static long segmentMb(final JsonNode s) {
        final long seg = s.path("wal_segment_size").asLong(16 * 1024 * 1024);
        // PostgreSQL 10 reports it in 8 kB blocks, 11+ in bytes.
        final long bytes = seg < 1024 * 1024 ? seg * 8192 : seg;
        return Math.max(1, bytes / (1024 * 1024));
    }

    static List<ReplicaRow> replicas(final JsonNode rows) {
        final List<ReplicaRow> out = new ArrayList<>();
        for (final JsonNode r : rows) {
            out.add(ReplicaRow.newBuilder()
                    .setPid(r.hasNonNull("pid") ? r.get("pid").asInt() : null)
                    .setApplicationName(text(r, "application_name"))
                    .setClientAddr(text(r, "client_addr"))
                    .setState(text(r, "state"))
                    .setSentLsn(lsn(r, "sent_lsn"))
                    .setWriteLsn(lsn(r, "write_lsn"))
                    .setFlushLsn(lsn(r, "flush_lsn"))
                    .setReplayLsn(lsn(r, "replay_lsn"))
                    .setWriteLagMs(longOrNull(r, "write_lag_ms"))
                    .setFlushLagMs(longOrNull(r, "flush_lag_ms"))
                    .setReplayLagMs(longOrNull(r, "replay_lag_ms"))
                    .setSyncState(text(r, "sync_state"))
                    .setSyncPriority(r.hasNonNull("sync_priority") ? r.get("sync_priority").asInt() : null)
                    .setReplyTime(instant(longOrNull(r, "reply_time")))
                    .setBackendStart(instant(longOrNull(r, "backend_start")))
                    .setBackendXminAge(longOrNull(r, "backend_xmin_age"))
                    .build());
        }
        return out;
    }

    static List<SlotRow> slots(final JsonNode rows) {
        final List<SlotRow> out = new ArrayList<>();
        for (final JsonNode s : rows) {
            out.add(SlotRow.newBuilder()
                    .setSlotName(s.path("slot_name").asText())
                    .setSlotType(s.path("slot_type").asText())
                    .setActive(s.path("active").asBoolean())
                    .setActivePid(s.hasNonNull("active_pid") ? s.get("active_pid").asInt() : null)
                    .setDatabase(text(s, "database"))
                    .setPlugin(text(s, "plugin"))
                    .setTemporary(s.hasNonNull("temporary") ? s.get("temporary").asBoolean() : null)
                    .setRestartLsn(lsn(s, "restart_lsn"))
                    .setConfirmedFlushLsn(lsn(s, "confirmed_flush_lsn"))
                    .setWalStatus(text(s, "wal_status"))
                    .setSafeWalSize(longOrNull(s, "safe_wal_size"))
                    .setInactiveSince(instant(longOrNull(s, "inactive_since")))
                    .setInvalidationReason(text(s, "invalidation_reason"))
                    .setXminAge(longOrNull(s, "xmin_age"))
                    .setCatalogXminAge(longOrNull(s, "catalog_xmin_age"))
                    .setTwoPhase(boolOrNull(s, "two_phase"))
                    .setFailover(boolOrNull(s, "failover"))
                    .setSynced(boolOrNull(s, "synced"))
                    .setSpillTxns(longOrNull(s, "spill_txns"))
                    .setSpillBytes(longOrNull(s, "spill_bytes"))
                    .setStreamTxns(longOrNull(s, "stream_txns"))
                    .setStreamBytes(longOrNull(s, "stream_bytes"))
                    .setTotalBytes(longOrNull(s, "total_bytes"))
                    .build());
        }
        return out;
    }

    static WalReceiver walReceiver(final JsonNode w) {
        if (w == null || w.isMissingNode() || w.isNull() || !w.hasNonNull("status")) {
            return null;
        }
        return WalReceiver.newBuilder()
                .setPid(w.hasNonNull("pid") ? w.get("pid").asInt() : null)
                .setStatus(w.get("status").asText())
                .setReceivedTli(w.hasNonNull("received_tli") ? w.get("received_tli").asInt() : null)
                .setFlushedLsn(lsn(w, "flushed_lsn"))
                .setLatestEndLsn(lsn(w, "latest_end_lsn"))
                .setLatestEndAt(instant(longOrNull(w, "latest_end_at")))
                .setLastMsgSendAt(instant(longOrNull(w, "last_msg_send_at")))
                .setLastMsgReceiptAt(instant(longOrNull(w, "last_msg_receipt_at")))
                .setSlotName(text(w, "slot_name"))
                .setSenderHost(text(w, "sender_host"))
                .setSenderPort(w.hasNonNull("sender_port") ? w.get("sender_port").asInt() : null)
                .setApplicationName(text(w, "application_name"))
                .build();
    }

    private static JsonNode json(final ResultSet rs, final String column) throws SQLException {
        final String text = rs.getString(column);
        if (text == null) {
            return JSON.createArrayNode();
        }
        try {
            return JSON.readTree(text);
        } catch (final IOException e) {
            throw new SQLException("Column " + column + " is not JSON: " + e.getMessage(), e);
        }
    }

    private static String text(final JsonNode n, final String field) {
        final JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** LSN positions arrive as numeric byte offsets up to 2^64 - 1; the long keeps their 64 bits. */
    static Long lsn(final BigDecimal value) {
        return value == null ? null : value.toBigIntegerExact().longValue();
    }

    private static Long lsn(final JsonNode n, final String field) {
        final JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.bigIntegerValue().longValue();
    }

    private static Long longOrNull(final JsonNode n, final String field) {
        final JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asLong();
    }

    private static Long longOrNull(final ResultSet rs, final String column) throws SQLException {
        final long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static Integer intOrNull(final ResultSet rs, final String column) throws SQLException {
        final int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    private static Instant instant(final Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }
}
