package io.replwatch.processor.health;

import io.replwatch.avro.HealthState;

/** Ordering of health states for "worst firing rule wins": HEALTHY < UNKNOWN < WARNING < CRITICAL < DOWN. */
public final class Severity {

    private Severity() {
    }

    public static int rank(final HealthState s) {
        return switch (s) {
            case HEALTHY -> 0;
            case UNKNOWN -> 1;
            case WARNING -> 2;
            case CRITICAL -> 3;
            case DOWN -> 4;
        };
    }

    public static HealthState worst(final HealthState a, final HealthState b) {
        return rank(a) >= rank(b) ? a : b;
    }
}
