package io.replwatch.collector.poll;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.SlotRow;
import io.replwatch.avro.WalReceiver;
import io.replwatch.schemas.Lsn;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class SampleMapperTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void mapsReplicaRowsIncludingNullsForUnprivilegedColumns() throws Exception {
        final List<ReplicaRow> rows = SampleMapper.replicas(JSON.readTree("""
                [{"pid": 10, "application_name": "s1", "client_addr": "10.0.0.2", "state": "streaming",
                  "sent_lsn": 97500059720, "write_lsn": 97500059720, "flush_lsn": 97500059000, "replay_lsn": 97500000000,
                  "write_lag_ms": 1, "flush_lag_ms": 2, "replay_lag_ms": null, "sync_state": "sync", "sync_priority": 1,
                  "reply_time": 1764000000000, "backend_start": 1763000000000},
                 {"pid": 11, "application_name": "s2", "client_addr": null, "state": null, "sent_lsn": null,
                  "write_lsn": null, "flush_lsn": null, "replay_lsn": null, "write_lag_ms": null, "flush_lag_ms": null,
                  "replay_lag_ms": null, "sync_state": null, "sync_priority": null, "reply_time": null, "backend_start": null}]
                """));
        assertThat(rows).hasSize(2);
        assertThat(Lsn.of(rows.get(0).getSentLsn())).isEqualTo(Lsn.parse("16/B374D848"));
        assertThat(rows.get(0).getReplayLagMs()).isNull();
        assertThat(rows.get(0).getReplyTime().toEpochMilli()).isEqualTo(1764000000000L);
        assertThat(rows.get(1).getState()).isNull();
        assertThat(rows.get(1).getSentLsn()).isNull();
    }

    @Test
    void lsnsAboveTwoToTheSixtyThreeKeepTheirBits() throws Exception {
        final List<SlotRow> slots = SampleMapper.slots(JSON.readTree("""
                [{"slot_name": "s", "slot_type": "physical", "active": false, "restart_lsn": 18446744073709551615,
                  "wal_status": "lost", "safe_wal_size": null, "inactive_since": 1764000000000,
                  "invalidation_reason": "wal_removed"}]
                """));
        assertThat(Lsn.of(slots.get(0).getRestartLsn())).isEqualTo(Lsn.parse("FFFFFFFF/FFFFFFFF"));
        assertThat(slots.get(0).getInvalidationReason()).isEqualTo("wal_removed");
        assertThat(SampleMapper.lsn(new BigDecimal("18446744073709551615"))).isEqualTo(-1L);
        assertThat(SampleMapper.lsn(null)).isNull();
    }

    @Test
    void aMissingReceiverIsNullNotAnEmptyRecord() throws Exception {
        assertThat(SampleMapper.walReceiver(JSON.createArrayNode())).isNull();
        final WalReceiver w = SampleMapper.walReceiver(JSON.readTree("""
                {"pid": 5, "status": "streaming", "received_tli": 2, "flushed_lsn": 100, "latest_end_lsn": 100,
                 "latest_end_at": 1, "last_msg_send_at": 2, "last_msg_receipt_at": 3, "slot_name": "s1",
                 "sender_host": "127.0.0.1", "sender_port": 5432, "application_name": "standby1"}
                """));
        assertThat(w.getStatus()).isEqualTo("streaming");
        assertThat(w.getApplicationName()).isEqualTo("standby1");
        assertThat(w.getReceivedTli()).isEqualTo(2);
    }

    /** Issue 16: the horizon's holders; neither present is no record at all. */
    @Test
    void theHorizonsHoldersAreMapped() throws Exception {
        assertThat(SampleMapper.horizon(JSON.readTree("{\"backend\": null, \"prepared\": null}"))).isNull();
        assertThat(SampleMapper.horizon(JSON.createArrayNode())).isNull();
        final var h = SampleMapper.horizon(JSON.readTree("""
                {"backend": {"pid": 42, "xmin_age": 1200, "state": "idle in transaction", "backend_type": "client backend",
                             "database": "shop", "application_name": "psql", "xact_start": 1764000000000},
                 "prepared": {"gid": "pay-1", "xmin_age": 900, "database": "shop", "prepared_at": 1764000001000}}
                """));
        assertThat(h.getBackend().getPid()).isEqualTo(42);
        assertThat(h.getBackend().getXminAge()).isEqualTo(1200L);
        assertThat(h.getBackend().getXactStart().toEpochMilli()).isEqualTo(1764000000000L);
        assertThat(h.getPrepared().getGid()).isEqualTo("pay-1");
        assertThat(h.getPrepared().getPreparedAt().toEpochMilli()).isEqualTo(1764000001000L);
    }
}
