package io.replwatch.alerter.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;

/**
 * One alert: a health rule on one node of one cluster, firing or resolved. Identity is (cluster, node, rule), as
 * {@link #fingerprint()}; its {@link #version()} changes only when its status or severity does, so a transition
 * that merely lists an already-firing rule again does not make it news.
 *
 * @param labels every label routing and templates see: cluster, node, rule, severity, role (when known) and the
 *               node's own labels from the collector's configuration
 * @param transitionId id of the transition that last changed {@link #version()}: the idempotency key
 */
public record Alert(
        String fingerprint,
        String cluster,
        String node,
        String rule,
        String severity,
        AlertStatus status,
        String message,
        Double value,
        Double threshold,
        String unit,
        Instant startsAt,
        Instant endsAt,
        String transitionId,
        Map<String, String> labels) {

    public Alert {
        labels = Map.copyOf(labels);
    }

    /** Stable identity of (cluster, node, rule): 16 hex digits of SHA-256. */
    public static String fingerprintOf(final String cluster, final String node, final String rule) {
        try {
            final byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest((cluster + '\0' + node + '\0' + rule).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What makes a change worth notifying: status and severity. */
    public String version() {
        return status + "|" + severity;
    }

    public boolean firing() {
        return status == AlertStatus.FIRING;
    }

    /**
     * The same alert with fresher measurements but the same version, transition id and labels: what receivers were
     * told identifies it (Alertmanager keys an alert by its label set), so a role that changed under a firing alert
     * (a failover) does not make it another alert.
     */
    public Alert refreshedBy(final Alert newer) {
        return new Alert(fingerprint, cluster, node, rule, severity, status, newer.message, newer.value,
                newer.threshold, newer.unit, startsAt, endsAt, transitionId, labels);
    }

    /**
     * This resolution carrying the labels the alert fired with (its severity, its role then): a receiver that keys
     * alerts by labels, as Alertmanager does, must be able to find the alert it resolves.
     */
    public Alert resolving(final Alert fired) {
        return new Alert(fingerprint, cluster, node, rule, severity, status, message, value, threshold, unit, startsAt,
                endsAt, transitionId, fired.labels);
    }
}
