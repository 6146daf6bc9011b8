package io.replwatch.alerter.receiver;

import io.replwatch.alerter.model.Notification;
import java.net.URI;
import java.util.Map;

/** A receiver that POSTs one JSON body per notification. Subclasses build the body and headers. */
public abstract class HttpReceiver implements Receiver {

    protected final ReceiverSettings settings;
    private final URI uri;

    protected HttpReceiver(final ReceiverSettings settings, final URI uri) {
        this.settings = settings;
        this.uri = uri;
    }

    /** The request body for this notification. */
    public abstract String body(Notification n);

    /** Extra headers (the Idempotency-Key is always sent). */
    protected Map<String, String> headers(final Notification n, final String body) {
        return Map.of();
    }

    @Override
    public final Attempt send(final Notification n) throws InterruptedException {
        final String body = body(n);
        final Map<String, String> h = new java.util.LinkedHashMap<>(headers(n, body));
        h.put("Idempotency-Key", n.idempotencyKey());
        return HttpPost.post(settings.name(), uri, body, h, settings.timeout());
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String type() {
        return settings.type();
    }

    @Override
    public boolean sendResolved() {
        return settings.sendResolved();
    }

    @Override
    public String toString() {
        // Never the URL: it often is the secret (Slack, Teams, Discord webhooks).
        return type() + " receiver '" + name() + "'";
    }
}
