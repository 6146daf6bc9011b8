package io.replwatch.collector.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PollQueryTest {

    @ParameterizedTest
    @CsvSource({
        // version, has reply_time (12+), wal_status (13+), flushed_lsn (13+), logicalslot conflicts (16+), inactive_since (17+), sender_host (11+)
        "100023, false, false, false, false, false, false",
        "110022, false, false, false, false, false, true",
        "120022, true,  false, false, false, false, true",
        "130018, true,  true,  true,  false, false, true",
        "150013, true,  true,  true,  false, false, true",
        "160009, true,  true,  true,  true,  false, true",
        "170005, true,  true,  true,  true,  true,  true",
        "180001, true,  true,  true,  true,  true,  true",
    })
    void choosesColumnsThatTheVersionHas(final int version, final boolean replyTime, final boolean walStatus,
                                         final boolean flushedLsn, final boolean logicalSlot,
                                         final boolean inactiveSince, final boolean senderHost) {
        final String sql = PollQuery.sql(version, false);
        assertThat(sql.contains("extract(epoch FROM w.reply_time)")).isEqualTo(replyTime);
        assertThat(sql.contains(" wal_status, safe_wal_size")).isEqualTo(walStatus);
        assertThat(sql.contains("flushed_lsn - '0/0'")).isEqualTo(flushedLsn);
        assertThat(sql.contains("received_lsn - '0/0' AS flushed_lsn")).isEqualTo(!flushedLsn);
        assertThat(sql.contains("confl_active_logicalslot")).isEqualTo(logicalSlot);
        assertThat(sql.contains("inactive_since) * 1000")).isEqualTo(inactiveSince);
        assertThat(sql.contains(" sender_host, sender_port")).isEqualTo(senderHost);
        // Role-specific functions are always guarded.
        assertThat(sql).contains("CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()");
        assertThat(sql).contains("CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END");
        assertThat(sql).doesNotContain("settings");
        // Never the pg_stat_replication view, which scans every backend of the server.
        assertThat(sql).contains("pg_stat_get_wal_senders() w LEFT JOIN LATERAL pg_stat_get_activity(w.pid)")
                .doesNotContain("FROM pg_stat_replication");
    }

    @Test
    void settingsAreAskedForOnlyWhenDue() {
        assertThat(PollQuery.sql(150000, true)).contains("FROM pg_settings").contains("synchronous_standby_names");
    }

    @Test
    void refusesVersionsBeforeTen() {
        assertThatThrownBy(() -> PollQuery.sql(90624, false))
                .hasMessageContaining("PostgreSQL 9.6 is not supported")
                .hasMessageContaining("10 or later");
    }

    /** Issue 15: checkpoints from the view the version has; the archive status listing only where allowed and present. */
    @Test
    void archivingAndCheckpointsByVersionAndRight() {
        assertThat(PollQuery.sql(160000, false)).contains("FROM pg_stat_bgwriter").doesNotContain("pg_stat_checkpointer")
                .contains("pg_ls_archive_statusdir()").contains("FROM pg_stat_archiver");
        assertThat(PollQuery.sql(170000, false)).contains("FROM pg_stat_checkpointer").doesNotContain("pg_stat_bgwriter");
        assertThat(PollQuery.sql(110000, false)).as("no archive status function before 12")
                .doesNotContain("pg_ls_archive_statusdir");
        assertThat(PollQuery.sql(150000, false, false)).as("a user without pg_monitor")
                .doesNotContain("pg_ls_archive_statusdir");
        // commands and connection strings: only whether they are set, and only with the right to read them
        assertThat(PollQuery.sql(150000, true)).contains("pg_has_role('pg_read_all_settings', 'USAGE') THEN"
                + " current_setting('primary_conninfo', true) <> ''").doesNotContain("AS primary_conninfo");
    }

    /** Issue 16: the horizon's holders on every version; slot columns as the version has them. */
    @Test
    void theHorizonAndTheSlotsXminsByVersion() {
        for (final int v : new int[] {100000, 130000, 140000, 170000}) {
            final String sql = PollQuery.sql(v, false);
            assertThat(sql).contains("age(xmin)::bigint AS xmin_age").contains("age(catalog_xmin)::bigint AS catalog_xmin_age")
                    .contains("age(a.backend_xmin)::bigint AS backend_xmin_age")
                    .contains("FROM pg_prepared_xacts").contains("pid <> pg_backend_pid()");
            assertThat(sql.contains("NULL::boolean AS two_phase")).as("two_phase on %d", v).isEqualTo(v < 140000);
            assertThat(sql.contains("NULL::boolean AS failover")).as("failover on %d", v).isEqualTo(v < 170000);
            assertThat(sql.contains("LEFT JOIN pg_stat_replication_slots")).as("spill on %d", v).isEqualTo(v >= 140000);
            assertThat(sql.contains("pg_stat_subscription_stats")).as("subscription errors on %d", v).isEqualTo(v >= 150000);
            assertThat(sql.contains("subid = s.oid")).as("subscriptions by oid on %d", v).isEqualTo(v >= 150000);
        }
    }
}
