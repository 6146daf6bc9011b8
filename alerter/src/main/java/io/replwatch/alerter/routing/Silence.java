package io.replwatch.alerter.routing;

import java.time.Instant;
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
}
