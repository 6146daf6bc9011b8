package io.replwatch.alerter.receiver.teams;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.HttpReceiver;
import io.replwatch.alerter.receiver.Payloads;

/**
 * Microsoft Teams through a Workflows webhook ("When a Teams webhook request is received"), which takes a
 * message with an Adaptive Card attachment (the retired Office 365 connectors' MessageCard is not used).
 */
public final class TeamsReceiver extends HttpReceiver {

    public TeamsReceiver(final TeamsConfig config) {
        super(config.settings(), config.url());
    }

    @Override
    public String body(final Notification n) {
        final ObjectNode o = Payloads.object();
        o.put("type", "message");
        final ObjectNode att = o.putArray("attachments").addObject();
        att.put("contentType", "application/vnd.microsoft.card.adaptive");
        att.putNull("contentUrl");
        final ObjectNode card = att.putObject("content");
        card.put("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        card.put("type", "AdaptiveCard");
        card.put("version", "1.4");
        card.putObject("msteams").put("width", "Full");
        final ArrayNode body = card.putArray("body");
        final ObjectNode title = body.addObject();
        title.put("type", "TextBlock");
        title.put("text", settings.templates().title(n));
        title.put("weight", "Bolder");
        title.put("size", "Medium");
        title.put("wrap", true);
        title.put("color", switch (n.worstSeverity()) {
            case "DOWN", "CRITICAL" -> "Attention";
            case "WARNING" -> "Warning";
            default -> "Good";
        });
        final ObjectNode facts = body.addObject();
        facts.put("type", "FactSet");
        final ArrayNode f = facts.putArray("facts");
        fact(f, "Status", n.status().name());
        fact(f, "Severity", n.worstSeverity());
        fact(f, "Cluster", Payloads.clusters(n));
        fact(f, "Node", Payloads.nodes(n));
        fact(f, "Rules", Payloads.rules(n));
        final String text = settings.templates().text(n);
        if (!text.isEmpty()) {
            final ObjectNode t = body.addObject();
            t.put("type", "TextBlock");
            // Adaptive Cards need a blank line for a line break in TextBlock markdown.
            t.put("text", text.replace("\n", "\n\n"));
            t.put("wrap", true);
        }
        final ObjectNode key = body.addObject();
        key.put("type", "TextBlock");
        key.put("text", "replwatch · idempotency key " + n.idempotencyKey());
        key.put("isSubtle", true);
        key.put("size", "Small");
        key.put("wrap", true);
        return Payloads.json(o);
    }

    private static void fact(final ArrayNode facts, final String title, final String value) {
        final ObjectNode f = facts.addObject();
        f.put("title", title);
        f.put("value", value);
    }
}
