package io.replwatch.alerter.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.routing.Route;
import io.replwatch.alerter.state.AlertJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The alerts one route groups together under one set of group-label values, with what its receiver was last
 * told ({@code notified}: fingerprint to version) and the times that drive group_wait, group_interval and
 * repeat_interval. Not thread-safe: the {@link Dispatcher} guards it.
 */
final class AggregationGroup {

    final String key;
    final Route route;
    final Map<String, String> groupLabels;
    final Map<String, Alert> alerts = new LinkedHashMap<>();
    final Map<String, String> notified = new HashMap<>();
    final Map<String, List<Token>> pending = new HashMap<>();
    Instant createdAt;
    Instant lastFlushAt;
    Instant lastSentAt;
    Instant oldestConsumedAt;
    String lastKey;
    int repeats;
    boolean inFlight;
    /** The tick skips this group until then (nothing can fall due before). */
    Instant nextCheck = Instant.MIN;

    AggregationGroup(final String key, final Route route, final Map<String, String> groupLabels,
                     final Instant createdAt) {
        this.key = key;
        this.route = route;
        this.groupLabels = new TreeMap<>(groupLabels);
        this.createdAt = createdAt;
    }

    static String keyOf(final Route route, final Map<String, String> groupLabels) {
        final StringBuilder b = new StringBuilder(route.id()).append(':').append(route.receiver()).append(":{");
        boolean first = true;
        for (final Map.Entry<String, String> e : new TreeMap<>(groupLabels).entrySet()) {
            b.append(first ? "" : ",").append(e.getKey()).append("=\"").append(e.getValue()).append('"');
            first = false;
        }
        return b.append('}').toString();
    }

    void hold(final String fingerprint, final Token token) {
        pending.computeIfAbsent(fingerprint, k -> new ArrayList<>()).add(token.retain());
    }

    List<Token> takeTokens(final String fingerprint) {
        final List<Token> t = pending.remove(fingerprint);
        return t == null ? List.of() : t;
    }

    boolean notifiedFiring(final String fingerprint) {
        final String v = notified.get(fingerprint);
        return v != null && v.startsWith("FIRING");
    }

    ObjectNode toJson() {
        final ObjectNode n = AlertJson.JSON.createObjectNode();
        n.put("key", key);
        n.put("route", route.id());
        final ObjectNode gl = n.putObject("group_labels");
        groupLabels.forEach(gl::put);
        final var arr = n.putArray("alerts");
        alerts.values().forEach(a -> arr.add(AlertJson.alert(a)));
        final ObjectNode nf = n.putObject("notified");
        notified.forEach(nf::put);
        n.put("created_at", createdAt.toString());
        if (lastFlushAt != null) {
            n.put("last_flush_at", lastFlushAt.toString());
        }
        if (lastSentAt != null) {
            n.put("last_sent_at", lastSentAt.toString());
        }
        if (lastKey != null) {
            n.put("last_key", lastKey);
        }
        n.put("repeats", repeats);
        return n;
    }

    static AggregationGroup fromJson(final JsonNode n, final Route route) {
        final Map<String, String> gl = new TreeMap<>();
        n.path("group_labels").fields().forEachRemaining(e -> gl.put(e.getKey(), e.getValue().asText()));
        final AggregationGroup g = new AggregationGroup(n.path("key").asText(), route, gl,
                Instant.parse(n.path("created_at").asText()));
        n.path("alerts").forEach(a -> {
            final Alert alert = AlertJson.alert(a);
            g.alerts.put(alert.fingerprint(), alert);
        });
        n.path("notified").fields().forEachRemaining(e -> g.notified.put(e.getKey(), e.getValue().asText()));
        g.lastFlushAt = AlertJson.instant(n, "last_flush_at");
        g.lastSentAt = AlertJson.instant(n, "last_sent_at");
        g.lastKey = n.hasNonNull("last_key") ? n.get("last_key").asText() : null;
        g.repeats = n.path("repeats").asInt(0);
        return g;
    }
}
