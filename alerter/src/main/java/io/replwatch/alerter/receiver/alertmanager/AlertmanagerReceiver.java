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
 * (keep the route's repeat_interval below firing_ttl); a resolved alert carries its real end.
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

    @Override
    public String body(final Notification n) {
        final ArrayNode arr = Payloads.object().arrayNode();
        final Instant ttlEnd = n.createdAt().plus(config.firingTtl());
        for (final Alert a : n.alerts()) {
            final ObjectNode x = arr.addObject();
            final ObjectNode l = x.putObject("labels");
            WebhookReceiver.amLabels(a.labels(), a, false).forEach(l::put);
            final ObjectNode an = x.putObject("annotations");
            an.put("summary", a.message());
            an.put("transition_id", a.transitionId());
            an.put("idempotency_key", n.idempotencyKey());
            x.put("startsAt", a.startsAt().toString());
            x.put("endsAt", (a.firing() ? ttlEnd : a.endsAt()).toString());
            if (n.externalUrl() != null) {
                x.put("generatorURL", n.externalUrl());
            }
        }
        return arr.toString();
    }
}
