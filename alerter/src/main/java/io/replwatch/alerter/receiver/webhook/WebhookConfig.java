package io.replwatch.alerter.receiver.webhook;

import io.replwatch.alerter.receiver.ReceiverSettings;
import io.replwatch.alerter.receiver.Urls;
import io.replwatch.runtime.config.ConfigNode;
import java.net.URI;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * <pre>
 * - name: ops-webhook
 *   type: webhook
 *   url: https://hooks.example.com/replwatch    # required
 *   format: replwatch                           # or alertmanager (webhook payload version 4)
 *   hmac_secret: ${WEBHOOK_SECRET}               # optional: sign requests
 *   headers: {X-Team: dba}                       # optional
 * </pre>
 */
public record WebhookConfig(ReceiverSettings settings, URI url, Format format, String hmacSecret,
                            Map<String, String> headers) {

    /** Payload formats. */
    public enum Format { REPLWATCH, ALERTMANAGER }

    public static WebhookConfig read(final ConfigNode n, final String name) {
        final Set<String> keys = new HashSet<>(ReceiverSettings.KEYS);
        keys.addAll(Set.of("url", "format", "hmac_secret", "headers"));
        n.allowOnly(keys);
        final ReceiverSettings s = ReceiverSettings.read(n, name, "webhook", 0);
        final URI url = Urls.required(n, "url");
        final String f = n.string("format", "replwatch");
        Format format = Format.REPLWATCH;
        switch (f) {
            case "replwatch" -> format = Format.REPLWATCH;
            case "alertmanager" -> format = Format.ALERTMANAGER;
            default -> n.problem("format", "must be replwatch or alertmanager (got '" + f + "')");
        }
        final String secret = n.string("hmac_secret", null);
        return new WebhookConfig(s, url, format, secret == null || secret.isEmpty() ? null : secret,
                n.stringMap("headers"));
    }
}
