package io.replwatch.alerter.model;

import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthTransition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one HealthTransition into alert events: a FIRING alert for every reason (every rule firing after the
 * transition) and a RESOLVED alert for every cleared rule code.
 */
public final class AlertExtractor {

    private AlertExtractor() {
    }

    public static List<Alert> alerts(final HealthTransition t) {
        final List<Alert> out = new ArrayList<>();
        for (final HealthReason r : t.getReasons()) {
            final String severity = r.getSeverity().name();
            out.add(new Alert(Alert.fingerprintOf(t.getCluster(), t.getNode(), r.getRule()), t.getCluster(),
                    t.getNode(), r.getRule(), severity, AlertStatus.FIRING, r.getMessage(), r.getValue(),
                    r.getThreshold(), r.getUnit(), r.getSince() != null ? r.getSince() : t.getAt(), null, t.getId(),
                    labels(t, r.getRule(), severity)));
        }
        for (final String rule : t.getCleared()) {
            out.add(new Alert(Alert.fingerprintOf(t.getCluster(), t.getNode(), rule), t.getCluster(), t.getNode(),
                    rule, "RESOLVED", AlertStatus.RESOLVED, rule + " cleared on " + t.getNode(), null, null, null,
                    t.getAt(), t.getAt(), t.getId(), labels(t, rule, null)));
        }
        return out;
    }

    private static Map<String, String> labels(final HealthTransition t, final String rule, final String severity) {
        final Map<String, String> l = new LinkedHashMap<>(t.getLabels());
        l.put("cluster", t.getCluster());
        l.put("node", t.getNode());
        l.put("rule", rule);
        if (severity != null) {
            l.put("severity", severity);
        }
        if (t.getRole() != null) {
            l.put("role", t.getRole());
        }
        return l;
    }
}
