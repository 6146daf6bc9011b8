package io.replwatch.alerter.receiver.discord;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.HttpReceiver;
import io.replwatch.alerter.receiver.Payloads;

/** Discord webhook: one embed coloured by severity, with inline fields and the text as its description. */
public final class DiscordReceiver extends HttpReceiver {

    private final DiscordConfig config;

    public DiscordReceiver(final DiscordConfig config) {
        super(config.settings(), config.url());
        this.config = config;
    }

    @Override
    public String body(final Notification n) {
        final ObjectNode o = Payloads.object();
        if (config.username() != null) {
            o.put("username", config.username());
        }
        o.putObject("allowed_mentions").putArray("parse");
        final ObjectNode e = o.putArray("embeds").addObject();
        e.put("title", Payloads.limit(settings.templates().title(n), 256));
        final String text = settings.templates().text(n);
        if (!text.isEmpty()) {
            e.put("description", Payloads.limit(text, 4096));
        }
        e.put("color", Payloads.colour(n));
        final ArrayNode f = e.putArray("fields");
        field(f, "Status", n.status().name());
        field(f, "Severity", n.worstSeverity());
        field(f, "Cluster", Payloads.clusters(n));
        field(f, "Node", Payloads.nodes(n));
        field(f, "Rules", Payloads.rules(n));
        e.put("timestamp", n.createdAt().toString());
        e.putObject("footer").put("text", "replwatch · " + n.idempotencyKey());
        return Payloads.json(o);
    }

    private static void field(final ArrayNode fields, final String name, final String value) {
        final ObjectNode x = fields.addObject();
        x.put("name", name);
        x.put("value", Payloads.limit(value.isEmpty() ? "-" : value, 1024));
        x.put("inline", true);
    }
}
