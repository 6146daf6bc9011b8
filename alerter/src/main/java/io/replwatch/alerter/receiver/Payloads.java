package io.replwatch.alerter.receiver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.state.AlertJson;
import java.util.LinkedHashSet;
import java.util.Set;

/** Pieces every chat payload shares: colours, severities, "which cluster/node", length limits. */
public final class Payloads {

    private Payloads() {
    }

    public static ObjectNode object() {
        return AlertJson.JSON.createObjectNode();
    }

    public static String json(final ObjectNode n) {
        return n.toString();
    }

    /** RGB by worst severity: red for DOWN and CRITICAL, amber for WARNING, green when resolved. */
    public static int colour(final Notification n) {
        return switch (n.worstSeverity()) {
            case "DOWN", "CRITICAL" -> 0xD00000;
            case "WARNING" -> 0xF2A900;
            default -> 0x2EB67D;
        };
    }

    public static String hexColour(final Notification n) {
        return String.format("#%06X", colour(n));
    }

    /** The single cluster of the notification's alerts, or "3 clusters". */
    public static String clusters(final Notification n) {
        return oneOrCount(n, "cluster", "clusters");
    }

    public static String nodes(final Notification n) {
        return oneOrCount(n, "node", "nodes");
    }

    public static String rules(final Notification n) {
        final Set<String> s = new LinkedHashSet<>();
        n.alerts().forEach(a -> s.add(a.rule()));
        return String.join(", ", s);
    }

    private static String oneOrCount(final Notification n, final String label, final String plural) {
        final Set<String> s = new LinkedHashSet<>();
        for (final Alert a : n.alerts()) {
            s.add(a.labels().getOrDefault(label, ""));
        }
        return s.size() == 1 ? s.iterator().next() : s.size() + " " + plural;
    }

    /** Cuts text to a service's limit, marking the cut. */
    public static String limit(final String text, final int max) {
        return text.length() <= max ? text : text.substring(0, Math.max(0, max - 1)) + "…";
    }
}
