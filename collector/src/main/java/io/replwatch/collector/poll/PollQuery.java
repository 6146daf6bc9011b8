package io.replwatch.collector.poll;

/**
 * The single SQL statement of a poll, chosen by server version: one round trip returns everything a sample
 * needs, with the per-row views (pg_stat_replication, pg_replication_slots, pg_stat_wal_receiver,
 * pg_stat_database_conflicts) aggregated to JSON columns. LSNs come back as numeric byte positions
 * ({@code lsn - '0/0'}), times as epoch milliseconds, so no text parsing is needed on this side.
 *
 * <p>The system identifier is not here: it cannot change while a connection lasts, and pg_control_system()
 * reads the control file from disk, so {@link NodePoller} reads it once on connect.
 *
 * <p>Functions that fail on the wrong role (pg_current_wal_lsn on a standby, pg_is_wal_replay_paused on a
 * primary) sit behind {@code CASE pg_is_in_recovery()}, which evaluates only the branch taken.
 */
public final class PollQuery {

    /**
     * Commands and connection strings are superuser-only settings (pg_read_all_settings, part of pg_monitor): read
     * only with that right (current_setting raises when it runs, so a CASE keeps it from running).
     */
    private static final String READ_ALL = "pg_has_role('pg_read_all_settings', 'USAGE')";

    /** Oldest supported major: pg_stat_replication's LSN columns and pg_current_wal_lsn() are 10+. */
    public static final int MIN_VERSION_NUM = 100000;

    private PollQuery() {
    }

    /** The poll statement for {@code versionNum} (server_version_num), with the settings columns when asked. */
    public static String sql(final int versionNum, final boolean withSettings) {
        return sql(versionNum, withSettings, true);
    }

    /**
     * The poll statement; {@code listArchiveStatus}: whether the user may call pg_ls_archive_statusdir() (pg_monitor).
     * PostgreSQL checks a function's EXECUTE right when the statement starts, whatever branch would call it, so
     * without the right the call is left out (the .ready files read as unknown) rather than failing every poll.
     */
    public static String sql(final int versionNum, final boolean withSettings, final boolean listArchiveStatus) {
        if (versionNum < MIN_VERSION_NUM) {
            throw new IllegalArgumentException("PostgreSQL " + versionNum / 10000 + "." + versionNum % 10000 / 100
                    + " is not supported: replwatch needs PostgreSQL 10 or later");
        }
        final boolean v11 = versionNum >= 110000;
        final boolean v12 = versionNum >= 120000;
        final boolean v13 = versionNum >= 130000;
        final boolean v14 = versionNum >= 140000;
        final boolean v15 = versionNum >= 150000;
        final boolean v16 = versionNum >= 160000;
        final boolean v17 = versionNum >= 170000;
        final StringBuilder sql = new StringBuilder(2048);
        sql.append("SELECT current_setting('server_version_num')::int AS server_version_num,\n")
           .append("  pg_is_in_recovery() AS in_recovery,\n")
           .append("  pg_has_role('pg_monitor', 'USAGE') AS has_monitor,\n")
           .append("  current_user AS current_user,\n")
           .append("  (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS server_time,\n")
           .append("  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() - '0/0' END AS wal_lsn,\n")
           .append("  CASE WHEN pg_is_in_recovery()\n")
           .append("    THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver),\n")
           .append("                  (SELECT timeline_id FROM pg_control_checkpoint()))\n")
           .append("    ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int\n")
           .append("  END AS timeline,\n")
           .append("  pg_last_wal_receive_lsn() - '0/0' AS receive_lsn,\n")
           .append("  pg_last_wal_replay_lsn() - '0/0' AS replay_lsn,\n")
           .append("  (extract(epoch FROM pg_last_xact_replay_timestamp()) * 1000)::bigint AS last_xact_replay_at,\n")
           .append("  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS replay_paused,\n");
        // Replicas: a primary's standbys, or a cascading standby's downstream. The WAL sender function is read
        // directly and each sender's backend looked up by pid: the pg_stat_replication view would build an
        // entry for every backend of the server on every poll, which costs a busy primary dearly.
        sql.append("  (SELECT json_agg(r ORDER BY r.application_name, r.pid) FROM (SELECT w.pid, a.application_name,")
           .append(" a.client_addr::text AS client_addr, w.state,")
           .append(" w.sent_lsn - '0/0' AS sent_lsn, w.write_lsn - '0/0' AS write_lsn,")
           .append(" w.flush_lsn - '0/0' AS flush_lsn, w.replay_lsn - '0/0' AS replay_lsn,")
           .append(" (extract(epoch FROM w.write_lag) * 1000)::bigint AS write_lag_ms,")
           .append(" (extract(epoch FROM w.flush_lag) * 1000)::bigint AS flush_lag_ms,")
           .append(" (extract(epoch FROM w.replay_lag) * 1000)::bigint AS replay_lag_ms,")
           .append(" w.sync_state, w.sync_priority,")
           .append(v12 ? " (extract(epoch FROM w.reply_time) * 1000)::bigint AS reply_time," : " NULL::bigint AS reply_time,")
           .append(" (extract(epoch FROM a.backend_start) * 1000)::bigint AS backend_start,")
           .append(" age(a.backend_xmin)::bigint AS backend_xmin_age")
           .append(" FROM pg_stat_get_wal_senders() w LEFT JOIN LATERAL pg_stat_get_activity(w.pid) a ON true) r)")
           .append(" AS replicas,\n");
        sql.append("  (SELECT json_agg(s ORDER BY s.slot_name) FROM (SELECT slot_name, slot_type, active, active_pid,")
           .append(" database, plugin, temporary, restart_lsn - '0/0' AS restart_lsn,")
           .append(" confirmed_flush_lsn - '0/0' AS confirmed_flush_lsn,")
           .append(v13 ? " wal_status, safe_wal_size," : " NULL::text AS wal_status, NULL::bigint AS safe_wal_size,")
           .append(v17 ? " (extract(epoch FROM inactive_since) * 1000)::bigint AS inactive_since, invalidation_reason,"
                       : " NULL::bigint AS inactive_since, NULL::text AS invalidation_reason,")
           .append(" age(xmin)::bigint AS xmin_age, age(catalog_xmin)::bigint AS catalog_xmin_age,")
           .append(v14 ? " two_phase," : " NULL::boolean AS two_phase,")
           .append(v17 ? " failover, synced," : " NULL::boolean AS failover, NULL::boolean AS synced,")
           // Logical decoding's spill to disk and streaming (pg_stat_replication_slots, 14+).
           .append(v14 ? " spill_txns, spill_bytes, stream_txns, stream_bytes, total_bytes"
                       : " NULL::bigint AS spill_txns, NULL::bigint AS spill_bytes, NULL::bigint AS stream_txns,"
                               + " NULL::bigint AS stream_bytes, NULL::bigint AS total_bytes")
           .append(v14 ? " FROM pg_replication_slots LEFT JOIN pg_stat_replication_slots USING (slot_name)) s) AS slots,\n"
                       : " FROM pg_replication_slots) s) AS slots,\n");
        sql.append("  (SELECT row_to_json(w) FROM (SELECT pid, status, received_tli,")
           .append(v13 ? " flushed_lsn - '0/0' AS flushed_lsn," : " received_lsn - '0/0' AS flushed_lsn,")
           .append(" latest_end_lsn - '0/0' AS latest_end_lsn,")
           .append(" (extract(epoch FROM latest_end_time) * 1000)::bigint AS latest_end_at,")
           .append(" (extract(epoch FROM last_msg_send_time) * 1000)::bigint AS last_msg_send_at,")
           .append(" (extract(epoch FROM last_msg_receipt_time) * 1000)::bigint AS last_msg_receipt_at,")
           .append(" slot_name,")
           .append(v11 ? " sender_host, sender_port," : " NULL::text AS sender_host, NULL::int AS sender_port,")
           .append(" substring(conninfo FROM 'application_name=([^ ]+)') AS application_name")
           .append(" FROM pg_stat_wal_receiver LIMIT 1) w) AS wal_receiver,\n");
        sql.append("  CASE WHEN pg_is_in_recovery() THEN (SELECT row_to_json(c) FROM (SELECT")
           .append(" coalesce(sum(confl_tablespace), 0) AS tablespace, coalesce(sum(confl_lock), 0) AS lock,")
           .append(" coalesce(sum(confl_snapshot), 0) AS snapshot, coalesce(sum(confl_bufferpin), 0) AS bufferpin,")
           .append(" coalesce(sum(confl_deadlock), 0) AS deadlock,")
           .append(v16 ? " coalesce(sum(confl_active_logicalslot), 0) AS logicalslot" : " 0 AS logicalslot")
           .append(" FROM pg_stat_database_conflicts) c) END AS conflicts,\n");
        // Archiving: the cumulative counters, and the segments whose .ready file still waits (12+). Both roles:
        // a standby with archive_mode = always archives too, and a demoted primary's counters must read as such.
        sql.append("  (SELECT row_to_json(a) FROM (SELECT archived_count, failed_count, last_archived_wal,")
           .append(" (extract(epoch FROM last_archived_time) * 1000)::bigint AS last_archived_at, last_failed_wal,")
           .append(" (extract(epoch FROM last_failed_time) * 1000)::bigint AS last_failed_at,")
           .append(" (extract(epoch FROM stats_reset) * 1000)::bigint AS stats_reset")
           .append(" FROM pg_stat_archiver) a) AS archiver,\n");
        sql.append(v12 && listArchiveStatus ? "  (SELECT row_to_json(rd) FROM (SELECT"
                        + " count(*)::int AS ready_count, (extract(epoch FROM min(modification)) * 1000)::bigint AS"
                        + " oldest_ready_at FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready') rd)"
                       : "  NULL::json")
           .append(" AS archive_ready,\n");
        // Checkpoints: timed versus requested (WAL volume or by hand).
        sql.append(v17
                ? "  (SELECT row_to_json(c) FROM (SELECT num_timed AS timed, num_requested AS requested,"
                        + " (extract(epoch FROM stats_reset) * 1000)::bigint AS stats_reset FROM pg_stat_checkpointer) c)"
                : "  (SELECT row_to_json(c) FROM (SELECT checkpoints_timed AS timed, checkpoints_req AS requested,"
                        + " (extract(epoch FROM stats_reset) * 1000)::bigint AS stats_reset FROM pg_stat_bgwriter) c)")
           .append(" AS checkpointer,\n");
        // The xmin horizon's holders other than slots and standbys' feedback (in slots and replicas): the backend
        // with the oldest backend_xmin (pg_monitor sees every backend's), leaving out this poll's own, and the
        // oldest prepared transaction. pg_stat_activity builds an entry per backend: one scan per poll.
        sql.append("  json_build_object('backend', (SELECT row_to_json(b) FROM (SELECT pid, age(backend_xmin)::bigint")
           .append(" AS xmin_age, state, backend_type, datname AS database, application_name,")
           .append(" (extract(epoch FROM xact_start) * 1000)::bigint AS xact_start FROM pg_stat_activity")
           .append(" WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid() AND backend_type <> 'walsender'")
           .append(" ORDER BY age(backend_xmin) DESC LIMIT 1) b),")
           .append(" 'prepared', (SELECT row_to_json(p) FROM (SELECT gid, age(transaction)::bigint AS xmin_age,")
           .append(" database, (extract(epoch FROM prepared) * 1000)::bigint AS prepared_at FROM pg_prepared_xacts")
           .append(" ORDER BY age(transaction) DESC LIMIT 1) p)) AS horizon,\n");
        // Subscriptions (a subscriber node): pg_subscription's columns but subconninfo, which is not readable by
        // pg_monitor (it may hold a password) and not read; the apply worker (not a table sync or, 16+, a parallel
        // apply worker) from pg_stat_subscription; error counts from pg_stat_subscription_stats (15+).
        // The public column grant on pg_subscription leaves its oid out before 15 (PostgreSQL 13 answers "permission
        // denied for table pg_subscription"): join by name there.
        final String subKey = v15 ? "subid = s.oid" : "subname = s.subname";
        sql.append("  (SELECT json_agg(x ORDER BY x.name) FROM (SELECT s.subname AS name, s.subenabled AS enabled,")
           .append(" d.datname AS database, s.subslotname AS slot_name, w.pid AS apply_pid,")
           .append(" (SELECT count(*) FROM pg_stat_subscription t WHERE t.").append(subKey)
           .append(" AND t.relid IS NOT NULL)::int")
           .append(" AS sync_workers, w.received_lsn - '0/0' AS received_lsn, w.latest_end_lsn - '0/0' AS latest_end_lsn,")
           .append(" (extract(epoch FROM w.latest_end_time) * 1000)::bigint AS latest_end_at,")
           .append(" (extract(epoch FROM w.last_msg_send_time) * 1000)::bigint AS last_msg_send_at,")
           .append(" (extract(epoch FROM w.last_msg_receipt_time) * 1000)::bigint AS last_msg_receipt_at,")
           .append(v15 ? " st.apply_error_count, st.sync_error_count" : " NULL::bigint AS apply_error_count,"
                   + " NULL::bigint AS sync_error_count")
           .append(" FROM pg_subscription s LEFT JOIN pg_database d ON d.oid = s.subdbid")
           .append(" LEFT JOIN pg_stat_subscription w ON w.").append(subKey).append(" AND w.relid IS NULL")
           .append(v17 ? " AND w.worker_type = 'apply'" : v16 ? " AND w.leader_pid IS NULL" : "")
           .append(v15 ? " LEFT JOIN pg_stat_subscription_stats st ON st.subid = s.oid" : "")
           .append(") x) AS subscriptions");
        if (withSettings) {
            sql.append(",\n  (SELECT json_object_agg(name, setting) FROM pg_settings WHERE name IN (")
               .append("'synchronous_standby_names', 'synchronous_commit', 'max_wal_senders',")
               .append(" 'max_replication_slots', 'wal_keep_size', 'wal_keep_segments', 'wal_segment_size',")
               .append(" 'max_slot_wal_keep_size', 'hot_standby_feedback', 'max_standby_streaming_delay',")
               .append(" 'primary_slot_name', 'cluster_name')) AS settings,\n");
            // Normalised here (sizes to bytes or MB, times to seconds or ms, flags to booleans) from the settings'
            // display values, so the unit a version reports in does not matter. Settings a version lacks (missing_ok)
            // are NULL. Commands and connection strings are only tested for being set: their text may hold secrets.
            sql.append("  json_build_object(")
               .append("'wal_segment_size', pg_size_bytes(current_setting('wal_segment_size')),")
               .append(" 'archive_mode', current_setting('archive_mode'),")
               .append(" 'archive_command_set', CASE WHEN ").append(READ_ALL).append(" THEN")
               .append(" current_setting('archive_command') NOT IN ('', '(disabled)')")
               .append(" OR coalesce(current_setting('archive_library', true), '') <> '' END,")
               .append(" 'archive_timeout_s', extract(epoch FROM current_setting('archive_timeout')::interval)::int,")
               .append(" 'checkpoint_timeout_s', extract(epoch FROM current_setting('checkpoint_timeout')::interval)::int,")
               .append(" 'max_wal_size_mb', pg_size_bytes(current_setting('max_wal_size')) / 1048576,")
               .append(" 'min_wal_size_mb', pg_size_bytes(current_setting('min_wal_size')) / 1048576,")
               .append(" 'wal_level', current_setting('wal_level'),")
               .append(" 'data_checksums', current_setting('data_checksums')::boolean,")
               .append(" 'full_page_writes', current_setting('full_page_writes')::boolean,")
               .append(" 'hot_standby', current_setting('hot_standby')::boolean,")
               .append(" 'recovery_min_apply_delay_ms', (extract(epoch FROM")
               .append(" current_setting('recovery_min_apply_delay', true)::interval) * 1000)::bigint,")
               .append(" 'restore_command_set', CASE WHEN ").append(READ_ALL)
               .append(" THEN current_setting('restore_command', true) <> '' END,")
               .append(" 'primary_conninfo_set', CASE WHEN ").append(READ_ALL)
               .append(" THEN current_setting('primary_conninfo', true) <> '' END,")
               .append(" 'max_connections', current_setting('max_connections')::int,")
               .append(" 'max_worker_processes', current_setting('max_worker_processes')::int,")
               .append(" 'max_prepared_transactions', current_setting('max_prepared_transactions')::int,")
               .append(" 'max_locks_per_transaction', current_setting('max_locks_per_transaction')::int)")
               .append(" AS settings_more");
        }
        return sql.toString();
    }
}
