package io.replwatch.processor.health;

import io.replwatch.avro.HealthState;

/** What one rule found on one evaluation: its code, how bad, the measured value and the threshold crossed. */
public record Finding(String rule, HealthState severity, Double value, Double threshold, String unit, String message) {
}
