package io.replwatch.alerter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.state.AlertJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A silence: alerts matching every matcher are muted from {@code startsAt} until {@code endsAt}. */
public record Silence(String id, List<Matcher> matchers, Instant startsAt, Instant endsAt, String createdBy,
                      String comment) {

    public Silence {
        matchers = List.copyOf(matchers);
    }

    public boolean activeAt(final Instant now) {
        return !now.isBefore(startsAt) && now.isBefore(endsAt);
    }

    public boolean mutes(final Map<String, String> labels, final Instant now) {
        return activeAt(now) && Matcher.all(matchers, labels);
    }

    public Silence expiredAt(final Instant now) {
        return new Silence(id, matchers, startsAt.isAfter(now) ? now : startsAt, now, createdBy, comment);
    }

    public String state(final Instant now) {
        return now.isBefore(startsAt) ? "pending" : now.isBefore(endsAt) ? "active" : "expired";
    }

    /** The silence as JSON, as kept in the state topic; with its state at {@code now} when given (the HTTP API). */
    public ObjectNode toJson(final Instant now) {
        final ObjectNode n = AlertJson.JSON.createObjectNode();
        n.put("id", id);
        final ArrayNode m = n.putArray("matchers");
        matchers.forEach(x -> m.add(x.toString()));
        n.put("starts_at", startsAt.toString());
        n.put("ends_at", endsAt.toString());
        n.put("created_by", createdBy);
        n.put("comment", comment);
        if (now != null) {
            n.put("state", state(now));
        }
        return n;
    }

    /** A silence from its JSON form ({@link #toJson}). */
    public static Silence fromJson(final JsonNode n) {
        final List<Matcher> matchers = new ArrayList<>();
        n.path("matchers").forEach(x -> matchers.add(Matcher.parse(x.asText())));
        return new Silence(n.path("id").asText(), matchers, Instant.parse(n.path("starts_at").asText()),
                Instant.parse(n.path("ends_at").asText()), n.path("created_by").asText(""),
                n.path("comment").asText(""));
    }
}
