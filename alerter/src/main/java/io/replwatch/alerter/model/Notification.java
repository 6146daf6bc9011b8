package io.replwatch.alerter.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one receiver is asked to deliver for one alert group at one flush.
 *
 * @param idempotencyKey the transition id when the notification carries one transition's news, otherwise a
 *                       digest of the transition ids it carries; a repeat adds {@code /repeat-N}. Receivers drop
 *                       a key they have seen.
 * @param groupKey       route and group labels, stable across restarts
 * @param alerts         firing alerts first, then resolved ones
 * @param createdAt      when the group flushed (delivery latency and max age count from here)
 * @param consumedAt     when the oldest transition in it was consumed (end-to-end latency counts from here)
 */
public record Notification(
        String receiver,
        String groupKey,
        Map<String, String> groupLabels,
        List<Alert> alerts,
        String idempotencyKey,
        Instant createdAt,
        Instant consumedAt,
        String externalUrl) {

    public Notification {
        groupLabels = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(groupLabels));
        alerts = List.copyOf(alerts);
    }

    public boolean firing() {
        return alerts.stream().anyMatch(Alert::firing);
    }

    /** FIRING if any alert fires, else RESOLVED. */
    public AlertStatus status() {
        return firing() ? AlertStatus.FIRING : AlertStatus.RESOLVED;
    }

    public List<Alert> firingAlerts() {
        return alerts.stream().filter(Alert::firing).toList();
    }

    public List<Alert> resolvedAlerts() {
        return alerts.stream().filter(a -> !a.firing()).toList();
    }

    /** Labels every alert shares with the same value. */
    public Map<String, String> commonLabels() {
        if (alerts.isEmpty()) {
            return Map.of();
        }
        final Map<String, String> common = new java.util.TreeMap<>(alerts.get(0).labels());
        for (final Alert a : alerts) {
            common.entrySet().removeIf(e -> !e.getValue().equals(a.labels().get(e.getKey())));
        }
        return common;
    }

    /** The worst severity among firing alerts (DOWN, CRITICAL, WARNING), or RESOLVED. */
    public String worstSeverity() {
        String worst = "RESOLVED";
        for (final Alert a : firingAlerts()) {
            if (rank(a.severity()) > rank(worst)) {
                worst = a.severity();
            }
        }
        return worst;
    }

    public static int rank(final String severity) {
        return switch (severity) {
            case "DOWN" -> 4;
            case "CRITICAL" -> 3;
            case "WARNING" -> 2;
            case "HEALTHY", "UNKNOWN" -> 1;
            default -> 0;
        };
    }
}
