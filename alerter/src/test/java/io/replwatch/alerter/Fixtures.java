package io.replwatch.alerter;

import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.AlertStatus;
import io.replwatch.alerter.model.Notification;
import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.serde.AvroTrust;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Alerts, transitions and a clock the tests move by hand. */
public final class Fixtures {

    public static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

    static {
        AvroTrust.init();
    }

    private Fixtures() {
    }

    /** A clock that moves only when told. */
    public static final class MutableClock extends Clock {
        private volatile Instant now;

        public MutableClock(final Instant start) {
            this.now = start;
        }

        public void advance(final Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    public static Alert firing(final String cluster, final String node, final String rule, final String severity,
                               final String tid) {
        final Map<String, String> labels = new LinkedHashMap<>();
        labels.put("cluster", cluster);
        labels.put("node", node);
        labels.put("rule", rule);
        labels.put("severity", severity);
        labels.put("role", "STANDBY");
        labels.put("env", "prod");
        return new Alert(Alert.fingerprintOf(cluster, node, rule), cluster, node, rule, severity, AlertStatus.FIRING,
                rule + " on " + node, 75_200d, 60_000d, "ms", T0, null, tid, labels);
    }

    public static Alert resolved(final String cluster, final String node, final String rule, final String tid) {
        final Map<String, String> labels = new LinkedHashMap<>();
        labels.put("cluster", cluster);
        labels.put("node", node);
        labels.put("rule", rule);
        labels.put("role", "STANDBY");
        labels.put("env", "prod");
        return new Alert(Alert.fingerprintOf(cluster, node, rule), cluster, node, rule, "RESOLVED",
                AlertStatus.RESOLVED, rule + " cleared on " + node, null, null, null, T0, T0.plusSeconds(300), tid,
                labels);
    }

    /** A two-alert firing notification and a resolved one, for golden payloads. */
    public static Notification notification(final boolean firing) {
        final List<Alert> alerts = new ArrayList<>();
        if (firing) {
            alerts.add(firing("orders", "pg-orders-2", "LAG_TIME", "CRITICAL", "t-0001"));
            alerts.add(firing("orders", "pg-orders-3", "REPLAY_STALLED", "WARNING", "t-0002"));
        } else {
            alerts.add(resolved("orders", "pg-orders-2", "LAG_TIME", "t-0003"));
        }
        return new Notification("ops", "root:ops:{cluster=\"orders\"}", Map.of("cluster", "orders"), alerts,
                firing ? "5c0f3e9ad1b24e7a" : "t-0003", T0.plusSeconds(2), T0, "http://alerter.example:9189");
    }

    public static HealthTransition transition(final String id, final String cluster, final String node,
                                              final HealthState from, final HealthState to, final List<String> firingRules,
                                              final List<String> cleared) {
        final List<HealthReason> reasons = new ArrayList<>();
        for (final String r : firingRules) {
            reasons.add(HealthReason.newBuilder().setRule(r).setSeverity(to).setMessage(r + " fired on " + node)
                    .setValue(1d).setThreshold(0d).setUnit("count").setSince(T0).build());
        }
        return HealthTransition.newBuilder().setId(id).setCluster(cluster).setNode(node).setFromState(from)
                .setToState(to).setAt(T0).setReasons(reasons).setCleared(cleared).setRole("STANDBY")
                .setLabels(Map.of("env", "prod")).build();
    }
}
