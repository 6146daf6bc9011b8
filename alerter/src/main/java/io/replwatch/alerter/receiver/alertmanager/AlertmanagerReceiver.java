package io.replwatch.alerter.receiver.alertmanager;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.HttpReceiver;
import io.replwatch.alerter.receiver.Payloads;
import io.replwatch.alerter.receiver.webhook.WebhookReceiver;
import java.net.URI;
import java.time.Instant;

/**
 * Forwards alerts to an existing Alertmanager ({@code POST /api/v2/alerts}) so it can own routing. As
 * Prometheus does, a firing alert carries {@code endsAt} = now + firing_ttl and is refreshed by each repeat
 * (keep the route's repeat_interval below firing_ttl); a resolved alert carries its real end, under the labels
 * it fired with. The same rule at another severity is another alert to Alertmanager (labels are its identity): a
 * firing alert is sent with the same labels at the other severities ended, so a change of severity leaves no
 * stale alert behind.
 */
public final class AlertmanagerReceiver extends HttpReceiver {

    private final AlertmanagerConfig config;

    public AlertmanagerReceiver(final AlertmanagerConfig config) {
        super(config.settings(), alertsUri(config.url()));
        this.config = config;
    }

    static URI alertsUri(final URI base) {
        if (base == null) {
            return null;
        }
        final String s = base.toString();
        return URI.create((s.endsWith("/") ? s.substring(0, s.length() - 1) : s) + "/api/v2/alerts");
    }

    /** The severities a rule fires with: an alert whose severity changed ends under the others' labels. */
    static final java.util.List<String> SEVERITIES = java.util.List.of("WARNING", "CRITICAL", "DOWN");

    @Override
    public String body(final Notification n) {
        final ArrayNode arr = Payloads.object().arrayNode();
        final Instant ttlEnd = n.createdAt().plus(config.firingTtl());
        for (final Alert a : n.alerts()) {
            final java.util.Map<String, String> labels = WebhookReceiver.amLabels(a.labels(), a, false);
            add(arr, n, a, labels, a.firing() ? ttlEnd : a.endsAt());
            if (a.firing() && labels.containsKey("severity")) {
                // Alertmanager keys an alert by its labels: the same rule at another severity is another alert. When
                // a WARNING becomes CRITICAL (or back), the one told before must end now, not at its firing_ttl.
                for (final String other : SEVERITIES) {
                    if (!other.equals(labels.get("severity"))) {
                        final java.util.Map<String, String> ended = new java.util.TreeMap<>(labels);
                        ended.put("severity", other);
                        add(arr, n, a, ended, n.createdAt());
                    }
                }
            }
        }
        return arr.toString();
    }

    private static void add(final ArrayNode arr, final Notification n, final Alert a,
                            final java.util.Map<String, String> labels, final Instant endsAt) {
        final ObjectNode x = arr.addObject();
        final ObjectNode l = x.putObject("labels");
        labels.forEach(l::put);
        final ObjectNode an = x.putObject("annotations");
        an.put("summary", a.message());
        an.put("transition_id", a.transitionId());
        an.put("idempotency_key", n.idempotencyKey());
        // Alertmanager refuses an alert that ends before it starts (and with it the whole request).
        x.put("startsAt", (a.startsAt().isAfter(endsAt) ? endsAt : a.startsAt()).toString());
        x.put("endsAt", endsAt.toString());
        if (n.externalUrl() != null) {
            x.put("generatorURL", n.externalUrl());
        }
    }
}
