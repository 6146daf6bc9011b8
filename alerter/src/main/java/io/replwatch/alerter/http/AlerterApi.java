package io.replwatch.alerter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.replwatch.alerter.dispatch.Dispatcher;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.routing.Matcher;
import io.replwatch.alerter.routing.Silence;
import io.replwatch.alerter.routing.Silences;
import io.replwatch.alerter.state.AlertJson;
import io.replwatch.runtime.config.Durations;
import io.replwatch.runtime.ops.OpsServer;
import java.io.IOException;
import java.io.InputStream;
import io.replwatch.alerter.config.ApiSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The alerter's HTTP API.
 * <ul>
 * <li>{@code GET /api/v1/alerts}: firing alerts, with {@code muted} (silenced or inhibited)</li>
 * <li>{@code GET /api/v1/groups}: aggregation groups</li>
 * <li>{@code GET /api/v1/silences}: silences with their state (pending, active, expired)</li>
 * <li>{@code POST /api/v1/silences}: {@code {"matchers": ["cluster=\"orders\""], "duration": "2h"}} (or
 * {@code ends_at}; optional {@code starts_at}, {@code created_by}, {@code comment}); 201 with the silence once it
 * is durable in the state topic</li>
 * <li>{@code DELETE /api/v1/silences/{id}}: expires it now</li>
 * </ul>
 *
 * <p>Writes need {@code Authorization: Bearer <api.token>} (401 without it, 403 when no token is configured: writes
 * are off) and a JSON body ({@code Content-Type: application/json}, so that no web page can send one with a
 * cross-site form or {@code text/plain} POST) of at most {@link #MAX_BODY} bytes. A silence lasts at most
 * {@code api.max_silence_duration}, starts at most that far ahead, and at most {@code api.max_silences} are pending
 * or active at once.
 */
public final class AlerterApi {

    /** Largest request body accepted, in bytes. */
    public static final int MAX_BODY = 64 * 1024;
    /** How long a write waits to become durable before the API gives up on it (503, the silence taken back). */
    static final Duration DURABLE_WITHIN = Duration.ofSeconds(10);

    private final Dispatcher dispatcher;
    private final Silences silences;
    private final Clock clock;
    private final ApiSettings api;

    public AlerterApi(final Dispatcher dispatcher, final Silences silences, final Clock clock, final ApiSettings api) {
        this.dispatcher = dispatcher;
        this.silences = silences;
        this.clock = clock;
        this.api = api;
    }

    public void register(final OpsServer server) {
        server.handle("/api/v1/alerts", ex -> guard(ex, () -> {
            final ArrayNode out = AlertJson.JSON.createArrayNode();
            for (final Alert a : dispatcher.activeAlerts()) {
                out.add(AlertJson.alert(a).put("muted", dispatcher.muted(a)));
            }
            OpsServer.reply(ex, 200, "application/json", out.toString());
        }));
        server.handle("/api/v1/groups", ex -> guard(ex, () ->
                OpsServer.reply(ex, 200, "application/json", AlertJson.JSON.writeValueAsString(dispatcher.groups()))));
        server.handle("/api/v1/silences", ex -> guard(ex, () -> silences(ex)));
    }

    private void silences(final HttpExchange ex) throws IOException {
        final String path = ex.getRequestURI().getPath();
        final String rest = path.substring("/api/v1/silences".length()).replaceAll("^/+", "");
        switch (ex.getRequestMethod()) {
            case "GET" -> {
                final ArrayNode out = AlertJson.JSON.createArrayNode();
                final Instant now = clock.instant();
                silences.list().forEach(s -> out.add(s.toJson(now)));
                OpsServer.reply(ex, 200, "application/json", out.toString());
            }
            case "POST" -> {
                if (!rest.isEmpty()) {
                    error(ex, 405, "POST to /api/v1/silences");
                    return;
                }
                if (authorized(ex)) {
                    create(ex);
                }
            }
            case "DELETE" -> {
                if (!authorized(ex)) {
                    return;
                }
                if (rest.isEmpty()) {
                    error(ex, 400, "DELETE /api/v1/silences/{id}");
                    return;
                }
                final Silences.Write expired = silences.expire(rest);
                if (expired == null) {
                    error(ex, 404, "no silence " + rest);
                } else if (durable(expired.durable())) {
                    final ObjectNode o = AlertJson.JSON.createObjectNode();
                    o.put("expired", rest);
                    OpsServer.reply(ex, 200, "application/json", o.toString());
                } else {
                    notDurable(ex);
                }
            }
            default -> error(ex, 405, "GET, POST or DELETE");
        }
    }

    /** Whether the request carries the API token; answers 403 (writes off) or 401 itself when not. */
    private boolean authorized(final HttpExchange ex) throws IOException {
        if (!api.writesEnabled()) {
            error(ex, 403, "writes are off: configure api.token or api.token_file to enable them");
            return false;
        }
        final String auth = ex.getRequestHeaders().getFirst("Authorization");
        final byte[] given = auth != null && auth.startsWith("Bearer ")
                ? auth.substring("Bearer ".length()).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
        // Constant time: how much of a guess was right must not show in the response time.
        if (!MessageDigest.isEqual(given, api.token().getBytes(StandardCharsets.UTF_8))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"replwatch-alerter\"");
            error(ex, 401, "a valid bearer token is required");
            return false;
        }
        return true;
    }

    private void create(final HttpExchange ex) throws IOException {
        final String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).strip().startsWith("application/json")) {
            error(ex, 415, "Content-Type must be application/json");
            return;
        }
        final byte[] raw;
        try (InputStream in = ex.getRequestBody()) {
            raw = in.readNBytes(MAX_BODY + 1);
        }
        if (raw.length > MAX_BODY) {
            error(ex, 413, "body over " + MAX_BODY + " bytes");
            return;
        }
        final JsonNode body;
        try {
            body = AlertJson.JSON.readTree(raw);
        } catch (final IOException e) {
            error(ex, 400, "body is not JSON");
            return;
        }
        if (body == null || !body.isObject()) {
            error(ex, 400, "body must be a JSON object");
            return;
        }
        final List<String> problems = new ArrayList<>();
        final List<Matcher> matchers = new ArrayList<>();
        body.path("matchers").forEach(m -> {
            try {
                matchers.add(Matcher.parse(m.asText()));
            } catch (final IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        });
        if (matchers.isEmpty() && problems.isEmpty()) {
            problems.add("matchers: at least one matcher is required");
        }
        final Instant now = clock.instant();
        Instant starts = now;
        Instant ends = null;
        try {
            if (body.hasNonNull("starts_at")) {
                starts = Instant.parse(body.get("starts_at").asText());
            }
            if (body.hasNonNull("ends_at")) {
                ends = Instant.parse(body.get("ends_at").asText());
            } else if (body.hasNonNull("duration")) {
                ends = starts.plus(Durations.parse(body.get("duration").asText()));
            } else {
                problems.add("ends_at or duration is required");
            }
        } catch (final RuntimeException e) {
            problems.add("bad time: " + e.getMessage());
        }
        final Duration longest = api.maxSilenceDuration();
        if (ends != null && starts.isAfter(now.plus(longest))) {
            problems.add("starts_at is more than " + Durations.format(longest) + " ahead (api.max_silence_duration)");
        }
        if (ends != null && ends.isAfter(starts.plus(longest))) {
            problems.add("the silence lasts more than " + Durations.format(longest) + " (api.max_silence_duration)");
        }
        if (!problems.isEmpty()) {
            error(ex, 400, String.join("; ", problems));
            return;
        }
        if (silences.unexpired() >= api.maxSilences()) {
            error(ex, 409, api.maxSilences() + " silences are pending or active already (api.max_silences): "
                    + "expire some first");
            return;
        }
        final Silences.Write created;
        try {
            created = silences.create(matchers, starts, ends, text(body, "created_by", "api"), text(body, "comment", ""));
        } catch (final IllegalArgumentException e) {
            error(ex, 400, e.getMessage());
            return;
        }
        if (durable(created.durable())) {
            OpsServer.reply(ex, 201, "application/json", created.silence().toJson(now).toString());
        } else {
            // Not durable: do not keep a silence that a restart would lose, and take it back before answering, so
            // that a client told 503 never sees it listed.
            silences.forget(created.silence());
            notDurable(ex);
        }
    }

    /** Whether the write became durable in time (the caller answers 503 when not, after undoing what it must). */
    private static boolean durable(final CompletableFuture<Silence> write) {
        try {
            write.get(DURABLE_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final ExecutionException | TimeoutException e) {
            // not durable
        }
        return false;
    }

    private static void notDurable(final HttpExchange ex) throws IOException {
        error(ex, 503, "the change could not be stored within " + DURABLE_WITHIN.toSeconds() + " s; try again");
    }

    private static String text(final JsonNode body, final String field, final String dflt) {
        final String v = body.path(field).asText(dflt);
        return v.length() > 1024 ? v.substring(0, 1024) : v;
    }

    private static void error(final HttpExchange ex, final int status, final String message) throws IOException {
        final ObjectNode o = AlertJson.JSON.createObjectNode();
        o.put("error", message);
        OpsServer.reply(ex, status, "application/json", o.toString());
    }

    private interface Body {
        void run() throws IOException;
    }

    private static void guard(final HttpExchange ex, final Body body) throws IOException {
        try {
            body.run();
        } catch (final RuntimeException e) {
            error(ex, 500, e.getClass().getSimpleName());
        }
    }
}
