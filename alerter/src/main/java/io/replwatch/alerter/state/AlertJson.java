package io.replwatch.alerter.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.AlertStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON for alerts, as kept in the state topic and shown by the HTTP API (silences: {@code Silence#toJson}). */
public final class AlertJson {

    public static final ObjectMapper JSON = new ObjectMapper();

    private AlertJson() {
    }

    public static ObjectNode alert(final Alert a) {
        final ObjectNode n = JSON.createObjectNode();
        n.put("fingerprint", a.fingerprint());
        n.put("cluster", a.cluster());
        n.put("node", a.node());
        n.put("rule", a.rule());
        n.put("severity", a.severity());
        n.put("status", a.status().name());
        n.put("message", a.message());
        if (a.value() != null) {
            n.put("value", a.value());
        }
        if (a.threshold() != null) {
            n.put("threshold", a.threshold());
        }
        if (a.unit() != null) {
            n.put("unit", a.unit());
        }
        n.put("starts_at", a.startsAt().toString());
        if (a.endsAt() != null) {
            n.put("ends_at", a.endsAt().toString());
        }
        n.put("transition_id", a.transitionId());
        final ObjectNode l = n.putObject("labels");
        a.labels().forEach(l::put);
        return n;
    }

    public static Alert alert(final JsonNode n) {
        final Map<String, String> labels = new LinkedHashMap<>();
        n.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        return new Alert(n.path("fingerprint").asText(), n.path("cluster").asText(), n.path("node").asText(),
                n.path("rule").asText(), n.path("severity").asText(), AlertStatus.valueOf(n.path("status").asText()),
                n.path("message").asText(), dbl(n, "value"), dbl(n, "threshold"), text(n, "unit"),
                Instant.parse(n.path("starts_at").asText()), instant(n, "ends_at"), n.path("transition_id").asText(),
                labels);
    }

    static Double dbl(final JsonNode n, final String f) {
        return n.hasNonNull(f) ? n.get(f).asDouble() : null;
    }

    static String text(final JsonNode n, final String f) {
        return n.hasNonNull(f) ? n.get(f).asText() : null;
    }

    public static Instant instant(final JsonNode n, final String f) {
        return n.hasNonNull(f) ? Instant.parse(n.get(f).asText()) : null;
    }
}
