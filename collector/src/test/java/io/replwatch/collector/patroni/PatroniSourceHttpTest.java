package io.replwatch.collector.patroni;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.replwatch.avro.PatroniInfo;
import io.replwatch.avro.PatroniSelf;
import io.replwatch.collector.config.NodeConfig;
import io.replwatch.collector.config.PatroniConfig;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The source over HTTP, against a local listener serving Patroni's JSON: endpoints tried in order and then the
 * members' own, basic auth sent, a member's own /patroni read (also its 503 body), and what is kept when nothing
 * answers. (Against real Patroni: PatroniIT.)
 */
class PatroniSourceHttpTest {

    static {
        io.replwatch.serde.AvroTrust.init();
    }

    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private final List<String> auth = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private HttpServer server(final Map<String, String> bodies, final int status, final AtomicBoolean up) throws Exception {
        final HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        s.createContext("/", ex -> {
            auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            final String body = up.get() ? bodies.get(ex.getRequestURI().getPath()) : null;
            final byte[] b = (body == null ? "" : body).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(body == null ? 404 : status, b.length == 0 ? -1 : b.length);
            if (b.length > 0) {
                ex.getResponseBody().write(b);
            }
            ex.close();
        });
        s.start();
        servers.add(s);
        return s;
    }

    private static PatroniConfig config(final List<String> endpoints) {
        final NodeConfig template = new NodeConfig("c", null, null, 0, "postgres", "monitor", "pw", "prefer", null, null,
                null, Map.of());
        return new PatroniConfig("c", endpoints, "patroni", "rest-secret", null, Duration.ofSeconds(1),
                Duration.ofMinutes(5), template, Map.of());
    }

    @Test
    void readsTheClusterFromTheFirstEndpointThatAnswersThenFromTheMembers() throws Exception {
        final AtomicBoolean up = new AtomicBoolean(true);
        final HttpServer member = server(Map.of("/patroni",
                "{\"state\":\"stopped\",\"role\":\"replica\",\"dcs_last_seen\":1795750992}"), 503, up);
        final String memberUrl = "http://127.0.0.1:" + member.getAddress().getPort();
        final HttpServer good = server(Map.of(
                "/cluster", "{\"members\":[{\"name\":\"pg1\",\"role\":\"leader\",\"state\":\"running\",\"host\":\"h\","
                        + "\"port\":5432,\"api_url\":\"" + memberUrl + "/patroni\"}]}",
                "/config", "{\"ttl\":20,\"synchronous_mode\":true}"), 200, up);
        final int dead;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0)) {
            dead = ss.getLocalPort();
        }
        final PatroniSource src = new PatroniSource(config(List.of("http://127.0.0.1:" + dead,
                "http://127.0.0.1:" + good.getAddress().getPort() + "/")), () -> 1000L);
        final PatroniInfo info = src.refresh();
        assertThat(info.getError()).isNull();
        assertThat(info.getLeader()).isEqualTo("pg1");
        assertThat(info.getTtlS()).isEqualTo(20);
        assertThat(auth).allMatch(a -> a.equals("Basic cGF0cm9uaTpyZXN0LXNlY3JldA=="));
        assertThat(src.endpoints()).containsExactly("http://127.0.0.1:" + dead,
                "http://127.0.0.1:" + good.getAddress().getPort(), memberUrl);

        // /patroni answers 503 while PostgreSQL is down: its body still says what Patroni is doing.
        final PatroniSelf self = src.self("pg1").get();
        assertThat(self.getError()).isNull();
        assertThat(self.getState()).isEqualTo("stopped");
        assertThat(src.self("nobody").get()).isNull();

        // Nothing answers /cluster now: an error naming every endpoint tried, no members, and the ttl kept so that a
        // member's own dcs_last_seen can still be judged; the members' addresses stay usable for /patroni.
        up.set(false);
        final PatroniInfo down = src.refresh();
        assertThat(down.getError()).startsWith("no Patroni endpoint answered /cluster (")
                .contains("127.0.0.1:" + dead).contains("HTTP 404").doesNotContain("rest-secret");
        assertThat(down.getMembers()).isEmpty();
        assertThat(down.getTtlS()).isEqualTo(20);
        assertThat(src.current()).isSameAs(down);
        final PatroniSelf gone = src.self("pg1").get();
        assertThat(gone.getError()).isEqualTo("HTTP 404: not Patroni's JSON");
    }
}
