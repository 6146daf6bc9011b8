package io.replwatch.collector.patroni;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.avro.PatroniInfo;
import io.replwatch.avro.PatroniMember;
import io.replwatch.avro.PatroniSelf;
import org.junit.jupiter.api.Test;

/** Patroni's JSON as 3.0.2 serves it (captured from the sandbox's real cluster), and with fields missing. */
class PatroniSourceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsClusterAndConfigOfPatroni3() throws Exception {
        final PatroniInfo p = PatroniSource.parse(JSON.readTree("""
                {"members":[
                 {"name":"pg1","role":"leader","state":"running","api_url":"http://127.0.0.1:28008/patroni","host":"127.0.0.1","port":25432,"timeline":2},
                 {"name":"pg2","role":"sync_standby","state":"running","host":"127.0.0.1","port":25433,"timeline":2,"lag":0,"pending_restart":true},
                 {"name":"pg3","role":"replica","state":"stopping","host":"127.0.0.1","port":25434,"lag":"unknown","tags":{"nofailover":true,"nosync":true}}],
                 "pause":true,
                 "scheduled_switchover":{"at":"2026-11-27T03:43:28.027929+00:00","from":"pg1","to":"pg2"}}
                """), JSON.readTree("""
                {"ttl":10,"loop_wait":2,"retry_timeout":4,"maximum_lag_on_failover":1048576,"synchronous_mode":true,
                 "postgresql":{"use_pg_rewind":true}}
                """), 1000L);
        assertThat(p.getLeader()).isEqualTo("pg1");
        assertThat(p.getPaused()).isTrue();
        assertThat(p.getSynchronousMode()).isTrue();
        assertThat(p.getSynchronousModeStrict()).isFalse();
        assertThat(p.getMaximumLagOnFailover()).isEqualTo(1048576L);
        assertThat(p.getTtlS()).isEqualTo(10);
        assertThat(p.getScheduledSwitchoverTo()).isEqualTo("pg2");
        assertThat(p.getScheduledSwitchoverAt().toString()).isEqualTo("2026-11-27T03:43:28.027929Z");
        final PatroniMember pg2 = p.getMembers().get(1);
        assertThat(pg2.getRole()).isEqualTo("sync_standby");
        assertThat(pg2.getLag()).isEqualTo(0L);
        assertThat(pg2.getPendingRestart()).isTrue();
        final PatroniMember pg3 = p.getMembers().get(2);
        assertThat(pg3.getLag()).as("\"unknown\" lag").isNull();
        assertThat(pg3.getNofailover()).isTrue();
        assertThat(pg3.getNosync()).isTrue();
        assertThat(pg3.getTimeline()).isNull();
        assertThat(pg3.getState()).isEqualTo("stopping");
    }

    @Test
    void missingFieldsAreTolerated() throws Exception {
        final PatroniInfo p = PatroniSource.parse(JSON.readTree("""
                {"members":[{"name":"a","role":"master"},{"role":"replica"},{"name":"b"}]}
                """), null, 5L);
        assertThat(p.getLeader()).as("Patroni 3's master is the leader").isEqualTo("a");
        assertThat(p.getMembers()).extracting(PatroniMember::getName).containsExactly("a", "b");
        assertThat(p.getMembers().get(1).getRole()).isEqualTo("unknown");
        assertThat(p.getMembers().get(1).getState()).isEqualTo("unknown");
        assertThat(p.getPaused()).isFalse();
        assertThat(p.getSynchronousMode()).as("no /config: unknown").isNull();
        assertThat(PatroniSource.parse(JSON.readTree("{}"), null, 5L).getMembers()).isEmpty();
        assertThat(PatroniSource.parse(JSON.readTree("{\"members\":[{\"name\":\"x\",\"role\":\"replica\"}]}"), null, 5L)
                .getLeader()).as("leaderless").isNull();
    }

    @Test
    void readsAMembersOwnState() throws Exception {
        final PatroniSelf leader = PatroniSource.parseSelf(JSON.readTree("""
                {"state":"running","role":"master","server_version":150018,"xlog":{"location":83886176},"timeline":1,
                 "replication":[],"dcs_last_seen":1795750992,"pending_restart":true,"pause":true,
                 "postmaster_start_time":"2026-11-27 03:43:28.027929+00:00",
                 "database_system_identifier":"7712687815776591697","patroni":{"version":"3.0.2","scope":"demo"}}
                """));
        assertThat(leader.getRole()).isEqualTo("leader");
        assertThat(leader.getState()).isEqualTo("running");
        assertThat(leader.getDcsLastSeen().getEpochSecond()).isEqualTo(1795750992L);
        assertThat(leader.getPendingRestart()).isTrue();
        assertThat(leader.getPaused()).isTrue();
        assertThat(leader.getVersion()).isEqualTo("3.0.2");
        assertThat(leader.getPostmasterStart().toEpochMilli()).isEqualTo(java.time.Instant.parse("2026-11-27T03:43:28.027Z").toEpochMilli());
        final PatroniSelf stopped = PatroniSource.parseSelf(JSON.readTree("""
                {"state":"stopped","role":"master","cluster_unlocked":true}
                """));
        assertThat(stopped.getClusterUnlocked()).isTrue();
        assertThat(stopped.getDcsLastSeen()).isNull();
        assertThat(PatroniSource.parseSelf(JSON.readTree("{\"role\":\"primary\",\"state\":\"streaming\"}")).getRole())
                .as("Patroni 4's primary").isEqualTo("leader");
    }

    @Test
    void endpointBaseOfAnApiUrl() {
        assertThat(PatroniSource.base("http://10.0.0.1:8008/patroni")).isEqualTo("http://10.0.0.1:8008");
        assertThat(PatroniSource.base("https://h:8008")).isEqualTo("https://h:8008");
    }
}
