package io.replwatch.alerter.receiver.pagerduty;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.HttpReceiver;
import io.replwatch.alerter.receiver.Payloads;
import io.replwatch.alerter.receiver.Templates;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * PagerDuty Events API v2: {@code trigger} while any alert of the group fires, {@code resolve} when all are
 * resolved, under one {@code dedup_key} per group (a digest of the group key, stable across restarts) so the
 * incident PagerDuty opens is the one it closes. The routing key is a secret: it is in the body only.
 */
public final class PagerDutyReceiver extends HttpReceiver {

    private final PagerDutyConfig config;

    public PagerDutyReceiver(final PagerDutyConfig config) {
        super(config.settings(), config.url());
        this.config = config;
    }

    @Override
    public String body(final Notification n) {
        final ObjectNode o = Payloads.object();
        o.put("routing_key", config.routingKey());
        o.put("event_action", n.firing() ? "trigger" : "resolve");
        o.put("dedup_key", dedupKey(n.groupKey()));
        if (n.firing()) {
            final ObjectNode p = o.putObject("payload");
            p.put("summary", Payloads.limit(settings.templates().title(n), 1024));
            p.put("source", Payloads.clusters(n));
            p.put("severity", severity(n.worstSeverity()));
            p.put("timestamp", n.createdAt().toString());
            p.put("component", Payloads.nodes(n));
            p.put("group", Payloads.clusters(n));
            p.put("class", Payloads.rules(n));
            final ObjectNode d = p.putObject("custom_details");
            d.put("text", settings.templates().text(n));
            d.put("idempotency_key", n.idempotencyKey());
            final ArrayNode firing = d.putArray("firing");
            for (final Alert a : n.firingAlerts()) {
                firing.add(a.severity() + " " + a.cluster() + "/" + a.node() + " " + a.rule() + ": " + a.message()
                        + (a.value() == null ? "" : " (" + Templates.value(a.value(), a.unit()) + ")"));
            }
            final ArrayNode resolved = d.putArray("resolved");
            n.resolvedAlerts().forEach(a -> resolved.add(a.cluster() + "/" + a.node() + " " + a.rule()));
            o.put("client", "replwatch");
            if (n.externalUrl() != null) {
                o.put("client_url", n.externalUrl());
            }
        }
        return Payloads.json(o);
    }

    static String severity(final String s) {
        return switch (s) {
            case "DOWN", "CRITICAL" -> "critical";
            case "WARNING" -> "warning";
            default -> "info";
        };
    }

    public static String dedupKey(final String groupKey) {
        try {
            return "replwatch-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(groupKey.getBytes(StandardCharsets.UTF_8)), 0, 16);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
