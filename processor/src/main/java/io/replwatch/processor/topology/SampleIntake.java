package io.replwatch.processor.topology;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.NodeState;
import java.util.HashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage, first of all: admits a sample into its node's state. Learns the node's poll interval (a moving
 * average), refuses a sample older than the last one by more than the grace, and records when the node was last
 * seen (event and wall time), its poll status, labels, role and timeline.
 */
final class SampleIntake {

    private static final Logger LOG = LoggerFactory.getLogger(SampleIntake.class);

    private final TopologySettings settings;

    SampleIntake(final TopologySettings settings) {
        this.settings = settings;
    }

    /** False when the sample is too old to fold in: the node's state is left as it was. */
    boolean admit(final ReplicationSample s, final long t, final long wall, final NodeState ns) {
        if (ns.lastSampleAt != null && t > ns.lastSampleAt) {
            final long gap = t - ns.lastSampleAt;
            ns.intervalMs = ns.intervalMs == null ? gap : (ns.intervalMs * 3 + gap) / 4;
        }
        if (ns.lastSampleAt != null && t < ns.lastSampleAt - settings.grace().toMillis()) {
            LOG.debug("{}/{}: sample at {} is older than the last one ({}) beyond the grace; ignored",
                    ns.cluster, ns.node, t, ns.lastSampleAt);
            return false;
        }
        ns.lastSampleAt = Math.max(t, ns.lastSampleAt == null ? t : ns.lastSampleAt);
        ns.lastSeenWall = wall;
        ns.stale = false;
        ns.status = s.getStatus();
        ns.message = s.getMessage();
        if (!ns.labels.equals(s.getLabels())) {
            ns.labels = new HashMap<>(s.getLabels());
        }
        if (Samples.isOk(s)) {
            ns.inRecovery = s.getInRecovery();
            ns.timeline = s.getTimeline();
            ns.role = Samples.isStandby(s) ? NodeState.Role.STANDBY : NodeState.Role.PRIMARY;
        }
        return true;
    }
}
