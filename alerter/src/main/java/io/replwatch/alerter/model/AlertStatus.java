package io.replwatch.alerter.model;

/** An alert fires while its rule fires, and resolves when the rule clears. */
public enum AlertStatus {
    FIRING, RESOLVED;

    /** Alertmanager's spelling. */
    public String lower() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
