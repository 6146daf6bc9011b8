package io.replwatch.alerter.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.alerter.config.ApiSettings;
import io.replwatch.alerter.dispatch.Dispatcher;
import io.replwatch.alerter.routing.InhibitRule;
import io.replwatch.alerter.routing.Matcher;
import io.replwatch.alerter.routing.Route;
import io.replwatch.alerter.routing.Silences;
import io.replwatch.alerter.state.StateStore;
import io.replwatch.runtime.ops.OpsServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The attacks and mistakes tried against the alerter's write API (issue 17), each with what must happen. Before:
 * anyone reaching the port could create or delete silences, also from a web page by a cross-site text/plain POST;
 * a silence {@code cluster=~".*"} ending in the year 1,000,002,026 muted everything and broke the silence list.
 */
class AlerterApiTest {

    private static final String TOKEN = "s3cret-token-for-tests-only";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Map<String, String> stored = new ConcurrentHashMap<>();
    private final AtomicBoolean storeWorks = new AtomicBoolean(true);
    private final StateStore store = (k, v, done) -> {
        if (storeWorks.get()) {
            stored.put(k, v);
            done.run();
        }
    };
    private OpsServer server;
    private Silences silences;

    private String start(final ApiSettings api) {
        silences = new Silences(List.of(), store, Clock.systemUTC());
        final Route root = new Route("root", "ops", List.of(), false, List.of("cluster"), Duration.ofSeconds(2),
                Duration.ofMinutes(1), Duration.ofHours(4), List.of());
        final Dispatcher d = new Dispatcher(root, InhibitRule.defaults(), silences, store, (n, s) -> s.run(),
                Clock.systemUTC(), null);
        server = OpsServer.start("127.0.0.1", 0, () -> "", () -> new OpsServer.Health(true, Map.of()));
        new AlerterApi(d, silences, Clock.systemUTC(), api).register(server);
        return "http://127.0.0.1:" + server.port() + "/api/v1/silences";
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> post(final String url, final String type, final String token, final String body)
            throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static final String SILENCE = "{\"matchers\": [\"cluster=\\\"orders\\\"\"], \"duration\": \"2h\"}";

    @Test
    void withNoTokenConfiguredWritesAreOffAndReadsStayOpen() throws Exception {
        final String url = start(ApiSettings.defaults());
        assertThat(post(url, "application/json", null, SILENCE).statusCode()).isEqualTo(403);
        assertThat(post(url, "application/json", "anything-at-all-long", SILENCE).statusCode()).isEqualTo(403);
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
        assertThat(silences.list()).isEmpty();
    }

    @Test
    void writesNeedTheTokenAndJson() throws Exception {
        final String url = start(new ApiSettings(TOKEN, 1000, Duration.ofDays(30)));
        // 1. No token, 2. a wrong one: 401, nothing created.
        assertThat(post(url, "application/json", null, SILENCE).statusCode()).isEqualTo(401);
        assertThat(post(url, "application/json", TOKEN + "x", SILENCE).statusCode()).isEqualTo(401);
        // 3. A cross-site form post from a web page (text/plain needs no preflight): refused even with the token.
        assertThat(post(url, "text/plain", TOKEN, SILENCE).statusCode()).isEqualTo(415);
        // 4. A body over 64 KiB.
        assertThat(post(url, "application/json", TOKEN, "{\"comment\": \"" + "x".repeat(70_000) + "\"}").statusCode())
                .isEqualTo(413);
        assertThat(silences.list()).isEmpty();
        // 5. With the token and JSON: created, and stored before the answer.
        final HttpResponse<String> ok = post(url, "application/json; charset=utf-8", TOKEN, SILENCE);
        assertThat(ok.statusCode()).isEqualTo(201);
        assertThat(stored).hasSize(1);
        final String id = silences.list().get(0).id();
        // 6. DELETE needs the token too.
        final HttpRequest del = HttpRequest.newBuilder(URI.create(url + "/" + id)).DELETE().build();
        assertThat(HTTP.send(del, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(url + "/" + id)).DELETE()
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
    }

    @Test
    void aSilenceForeverOrTooManySilencesAreRefused() throws Exception {
        final String url = start(new ApiSettings(TOKEN, 2, Duration.ofDays(30)));
        // A silence muting everything for ever (the year 999,999,999: java.time's last one).
        final HttpResponse<String> forever = post(url, "application/json", TOKEN,
                "{\"matchers\": [\"cluster=~\\\".*\\\"\"], \"ends_at\": \"+999999999-01-01T00:00:00Z\"}");
        assertThat(forever.statusCode()).isEqualTo(400);
        assertThat(forever.body()).contains("max_silence_duration");
        assertThat(post(url, "application/json", TOKEN, "{\"matchers\": [\"cluster=\\\"a\\\"\"], \"duration\": \"31d\"}")
                .statusCode()).isEqualTo(400);
        assertThat(post(url, "application/json", TOKEN, SILENCE).statusCode()).isEqualTo(201);
        assertThat(post(url, "application/json", TOKEN, SILENCE).statusCode()).isEqualTo(201);
        final HttpResponse<String> third = post(url, "application/json", TOKEN, SILENCE);
        assertThat(third.statusCode()).isEqualTo(409);
        assertThat(third.body()).contains("max_silences");
        // The list still answers.
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
    }

    @Test
    void aSilenceThatCannotBeStoredIsNotCreated() throws Exception {
        final String url = start(new ApiSettings(TOKEN, 1000, Duration.ofDays(30)));
        storeWorks.set(false);
        final long t0 = System.nanoTime();
        final HttpResponse<String> r = post(url, "application/json", TOKEN, SILENCE);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat((System.nanoTime() - t0) / 1_000_000_000).isLessThanOrEqualTo(AlerterApi.DURABLE_WITHIN.toSeconds() + 2);
        assertThat(silences.list()).as("no silence a restart would lose").isEmpty();
    }

    @Test
    void aCatastrophicRegexCannotHangTheDispatcher() {
        // (a+)+$ against a long run of a's followed by b takes exponential time with backtracking regex engines.
        final Matcher m = Matcher.parse("cluster=~\"(a+)+$\"");
        final long t0 = System.nanoTime();
        assertThat(m.matches(Map.of("cluster", "a".repeat(5_000) + "b"))).isFalse();
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms").isLessThan(2_000);
    }
}
