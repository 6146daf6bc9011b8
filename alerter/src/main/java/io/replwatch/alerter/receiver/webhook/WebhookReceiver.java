package io.replwatch.alerter.receiver.webhook;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.HttpReceiver;
import io.replwatch.alerter.receiver.Payloads;
import io.replwatch.alerter.state.AlertJson;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Generic webhook: replwatch's JSON, or Alertmanager's webhook payload (version 4) for tools that already take
 * it. With a secret, signs every request: {@code X-Replwatch-Timestamp} (Unix seconds) and
 * {@code X-Replwatch-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))}; a receiver recomputes
 * it and rejects a stale timestamp to stop replays.
 */
public final class WebhookReceiver extends HttpReceiver {

    public static final String SIGNATURE_HEADER = "X-Replwatch-Signature";
    public static final String TIMESTAMP_HEADER = "X-Replwatch-Timestamp";

    private final WebhookConfig config;
    private final Clock clock;

    public WebhookReceiver(final WebhookConfig config, final Clock clock) {
        super(config.settings(), config.url());
        this.config = config;
        this.clock = clock;
    }

    @Override
    public String body(final Notification n) {
        return config.format() == WebhookConfig.Format.ALERTMANAGER ? alertmanager(n) : replwatch(n);
    }

    String replwatch(final Notification n) {
        final ObjectNode o = Payloads.object();
        o.put("version", "1");
        o.put("idempotency_key", n.idempotencyKey());
        o.put("receiver", n.receiver());
        o.put("status", n.status().lower());
        o.put("severity", n.worstSeverity());
        o.put("group_key", n.groupKey());
        final ObjectNode gl = o.putObject("group_labels");
        n.groupLabels().forEach(gl::put);
        final ObjectNode cl = o.putObject("common_labels");
        n.commonLabels().forEach(cl::put);
        o.put("title", settings.templates().title(n));
        o.put("text", settings.templates().text(n));
        o.put("created_at", n.createdAt().toString());
        if (n.externalUrl() != null) {
            o.put("external_url", n.externalUrl());
        }
        final ArrayNode alerts = o.putArray("alerts");
        n.alerts().forEach(a -> alerts.add(AlertJson.alert(a)));
        return Payloads.json(o);
    }

    /** Alertmanager's webhook_config payload, version 4, plus {@code idempotencyKey}. */
    static String alertmanager(final Notification n) {
        final ObjectNode o = Payloads.object();
        o.put("version", "4");
        o.put("groupKey", n.groupKey());
        o.put("truncatedAlerts", 0);
        o.put("status", n.status().lower());
        o.put("receiver", n.receiver());
        final ObjectNode gl = o.putObject("groupLabels");
        n.groupLabels().forEach(gl::put);
        final ObjectNode cl = o.putObject("commonLabels");
        amLabels(n.commonLabels(), n.alerts().isEmpty() ? null : n.alerts().get(0), true).forEach(cl::put);
        o.putObject("commonAnnotations");
        o.put("externalURL", n.externalUrl() == null ? "" : n.externalUrl());
        o.put("idempotencyKey", n.idempotencyKey());
        final ArrayNode alerts = o.putArray("alerts");
        for (final Alert a : n.alerts()) {
            final ObjectNode x = alerts.addObject();
            x.put("status", a.status().lower());
            final ObjectNode l = x.putObject("labels");
            amLabels(a.labels(), a, false).forEach(l::put);
            final ObjectNode an = x.putObject("annotations");
            an.put("summary", a.message());
            an.put("transition_id", a.transitionId());
            x.put("startsAt", a.startsAt().toString());
            x.put("endsAt", a.endsAt() == null ? "0001-01-01T00:00:00Z" : a.endsAt().toString());
            x.put("generatorURL", n.externalUrl() == null ? "" : n.externalUrl());
            x.put("fingerprint", a.fingerprint());
        }
        return Payloads.json(o);
    }

    /** Alertmanager users expect {@code alertname}: it is the rule. */
    public static Map<String, String> amLabels(final Map<String, String> labels, final Alert a, final boolean common) {
        final Map<String, String> out = new java.util.TreeMap<>(labels);
        if (a != null && (!common || labels.containsKey("rule"))) {
            out.put("alertname", a.rule());
        }
        return out;
    }

    @Override
    protected Map<String, String> headers(final Notification n, final String body) {
        final Map<String, String> h = new LinkedHashMap<>(config.headers());
        if (config.hmacSecret() != null) {
            final String ts = Long.toString(clock.instant().getEpochSecond());
            h.put(TIMESTAMP_HEADER, ts);
            h.put(SIGNATURE_HEADER, "sha256=" + sign(config.hmacSecret(), ts, body));
        }
        return h;
    }

    /** HEX(HMAC-SHA256(secret, timestamp + "." + body)). */
    public static String sign(final String secret, final String timestamp, final String body) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(timestamp.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) '.');
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }
}
