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
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The alerter's HTTP API.
 * <ul>
 * <li>{@code GET /api/v1/alerts}: firing alerts, with {@code muted} (silenced or inhibited)</li>
 * <li>{@code GET /api/v1/groups}: aggregation groups</li>
 * <li>{@code GET /api/v1/silences}: silences with their state (pending, active, expired)</li>
 * <li>{@code POST /api/v1/silences}: {@code {"matchers": ["cluster=\"orders\""], "duration": "2h"}} (or
 * {@code ends_at}; optional {@code starts_at}, {@code created_by}, {@code comment}); 201 with the silence</li>
 * <li>{@code DELETE /api/v1/silences/{id}}: expires it now</li>
 * </ul>
 */
public final class AlerterApi {

    private final Dispatcher dispatcher;
    private final Silences silences;
    private final Clock clock;

    public AlerterApi(final Dispatcher dispatcher, final Silences silences, final Clock clock) {
        this.dispatcher = dispatcher;
        this.silences = silences;
        this.clock = clock;
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
                create(ex);
            }
            case "DELETE" -> {
                if (rest.isEmpty()) {
                    error(ex, 400, "DELETE /api/v1/silences/{id}");
                } else if (silences.expire(rest)) {
                    OpsServer.reply(ex, 200, "application/json", "{\"expired\":\"" + rest + "\"}");
                } else {
                    error(ex, 404, "no silence " + rest);
                }
            }
            default -> error(ex, 405, "GET, POST or DELETE");
        }
    }

    private void create(final HttpExchange ex) throws IOException {
        final JsonNode body;
        try (InputStream in = ex.getRequestBody()) {
            body = AlertJson.JSON.readTree(in);
        } catch (final IOException e) {
            error(ex, 400, "body is not JSON");
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
        if (!problems.isEmpty()) {
            error(ex, 400, String.join("; ", problems));
            return;
        }
        try {
            final Silence s = silences.create(matchers, starts, ends, body.path("created_by").asText("api"),
                    body.path("comment").asText(""));
            OpsServer.reply(ex, 201, "application/json", s.toJson(now).toString());
        } catch (final IllegalArgumentException e) {
            error(ex, 400, e.getMessage());
        }
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
