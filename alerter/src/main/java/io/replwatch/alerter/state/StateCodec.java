package io.replwatch.alerter.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.AlertStatus;
import io.replwatch.alerter.routing.Matcher;
import io.replwatch.alerter.routing.Silence;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON for alerts and silences, as kept in the state topic and shown by the HTTP API. */
public final class StateCodec {

    public static final ObjectMapper JSON = new ObjectMapper();

    private StateCodec() {
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

    public static ObjectNode silence(final Silence s, final Instant now) {
        final ObjectNode n = JSON.createObjectNode();
        n.put("id", s.id());
        final ArrayNode m = n.putArray("matchers");
        s.matchers().forEach(x -> m.add(x.toString()));
        n.put("starts_at", s.startsAt().toString());
        n.put("ends_at", s.endsAt().toString());
        n.put("created_by", s.createdBy());
        n.put("comment", s.comment());
        if (now != null) {
            n.put("state", s.state(now));
        }
        return n;
    }

    public static Silence silence(final JsonNode n) {
        final List<Matcher> matchers = new ArrayList<>();
        n.path("matchers").forEach(x -> matchers.add(Matcher.parse(x.asText())));
        return new Silence(n.path("id").asText(), matchers, Instant.parse(n.path("starts_at").asText()),
                Instant.parse(n.path("ends_at").asText()), n.path("created_by").asText(""),
                n.path("comment").asText(""));
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
