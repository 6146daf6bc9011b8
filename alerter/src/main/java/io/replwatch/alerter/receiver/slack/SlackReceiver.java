package io.replwatch.alerter.receiver.slack;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.HttpReceiver;
import io.replwatch.alerter.receiver.Payloads;

/**
 * Slack incoming webhook with Block Kit inside a coloured attachment (the only way Slack colours a message):
 * a header with the title, fields for status, severity, cluster, node and rules, the text, and a context line
 * with the idempotency key. Resolved notifications are green.
 */
public final class SlackReceiver extends HttpReceiver {

    private final SlackConfig config;

    public SlackReceiver(final SlackConfig config) {
        super(config.settings(), config.url());
        this.config = config;
    }

    @Override
    public String body(final Notification n) {
        final String title = settings.templates().title(n);
        final ObjectNode o = Payloads.object();
        o.put("text", Payloads.limit(title, 3000));
        if (config.channel() != null) {
            o.put("channel", config.channel());
        }
        if (config.username() != null) {
            o.put("username", config.username());
        }
        final ObjectNode att = o.putArray("attachments").addObject();
        att.put("color", Payloads.hexColour(n));
        final ArrayNode blocks = att.putArray("blocks");
        final ObjectNode header = blocks.addObject();
        header.put("type", "header");
        plain(header.putObject("text"), Payloads.limit(title, 150));
        final ObjectNode fields = blocks.addObject();
        fields.put("type", "section");
        final ArrayNode f = fields.putArray("fields");
        field(f, "Status", n.status().name());
        field(f, "Severity", n.worstSeverity());
        field(f, "Cluster", Payloads.clusters(n));
        field(f, "Node", Payloads.nodes(n));
        field(f, "Rules", Payloads.rules(n));
        final String text = settings.templates().text(n);
        if (!text.isEmpty()) {
            final ObjectNode section = blocks.addObject();
            section.put("type", "section");
            mrkdwn(section.putObject("text"), Payloads.limit(escape(text), 3000));
        }
        final ObjectNode context = blocks.addObject();
        context.put("type", "context");
        mrkdwn(context.putArray("elements").addObject(), "replwatch · idempotency key `" + n.idempotencyKey() + "`");
        return Payloads.json(o);
    }

    private static void field(final ArrayNode fields, final String name, final String value) {
        mrkdwn(fields.addObject(), "*" + name + "*\n" + Payloads.limit(escape(value), 1900));
    }

    private static void plain(final ObjectNode o, final String text) {
        o.put("type", "plain_text");
        o.put("text", text);
    }

    private static void mrkdwn(final ObjectNode o, final String text) {
        o.put("type", "mrkdwn");
        o.put("text", text);
    }

    /** Slack's three control characters in mrkdwn. */
    static String escape(final String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
