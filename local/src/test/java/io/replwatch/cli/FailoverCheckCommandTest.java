package io.replwatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The command's output and exit codes, against an HTTP listener serving what the processor's API answers (the API
 * itself, on a real Patroni cluster, is PatroniIT's).
 */
class FailoverCheckCommandTest {

    private static final String ANSWER = """
            {"cluster":"pat","primary_state":"HEALTHY","primary":"pg1","computed_at":"2026-11-27T18:00:15.469Z",
             "pick":%s,"why":"%s","policy":"Patroni: synchronous_mode (only the synchronous standby)",
             "candidates":[
              {"node":"pg2","rank":1,"eligible":%s,"reasons":%s,"streaming":true,"sync_state":"sync",
               "unreplicated_bytes":135664,"replay_lag_bytes":0,"time_lag_ms":1466,"trend":"OK","timeline":1,
               "nofailover":false,"patroni_lag":0},
              {"node":"pg3","rank":2,"eligible":false,"reasons":["not the synchronous standby (synchronous_mode)"],
               "streaming":true,"sync_state":"async","unreplicated_bytes":null,"replay_lag_bytes":null,
               "time_lag_ms":null,"trend":null,"timeline":1,"nofailover":false,"patroni_lag":0}]}
            """;

    private static HttpServer serve(final int status, final String body) throws Exception {
        final HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        s.createContext("/api/v1/clusters/pat/failover-check", ex -> {
            final byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        return s;
    }

    @Test
    void printsThePickAndEveryStandbyAndExitsZero() throws Exception {
        final HttpServer s = serve(200, ANSWER.formatted("\"pg2\"", "sync, streaming", "true", "[]"));
        try {
            final Cli.Run r = Cli.run("failover-check", "pat", "--processor", "http://127.0.0.1:" + s.getAddress().getPort());
            assertThat(r.exit()).isZero();
            assertThat(r.out()).contains("Promote pg2: sync, streaming").contains("primary pg1 (HEALTHY)")
                    .contains("132.5 KiB").contains("not the synchronous standby").contains("1.5s");
        } finally {
            s.stop(0);
        }
    }

    @Test
    void noEligibleStandbyExitsOneAndJsonIsTheApisAnswer() throws Exception {
        final HttpServer s = serve(200, ANSWER.formatted("null", "no standby is eligible", "false",
                "[\"tagged nofailover\"]"));
        try {
            final String url = "http://127.0.0.1:" + s.getAddress().getPort();
            final Cli.Run r = Cli.run("failover-check", "pat", "--processor", url);
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).contains("Promote nothing: no standby is eligible").contains("tagged nofailover");
            final Cli.Run j = Cli.run("failover-check", "pat", "--processor", url, "--json");
            assertThat(j.exit()).isEqualTo(1);
            assertThat(j.out()).contains("\"pick\" : null");
        } finally {
            s.stop(0);
        }
    }

    @Test
    void anUnknownClusterOrNoProcessorExitsTwo() throws Exception {
        final HttpServer s = serve(404, "");
        try {
            final Cli.Run r = Cli.run("failover-check", "nope", "--processor", "http://127.0.0.1:" + s.getAddress().getPort());
            assertThat(r.exit()).isEqualTo(2);
            final Cli.Run known = Cli.run("failover-check", "pat", "--processor", "http://127.0.0.1:" + s.getAddress().getPort());
            assertThat(known.exit()).isEqualTo(2);
            assertThat(known.err()).contains("no primary of cluster 'pat'");
        } finally {
            s.stop(0);
        }
        final int dead;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0)) {
            dead = ss.getLocalPort();
        }
        final Cli.Run r = Cli.run("failover-check", "pat", "--processor", "http://127.0.0.1:" + dead);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("did not answer");
    }
}
