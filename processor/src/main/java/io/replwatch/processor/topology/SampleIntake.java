package io.replwatch.processor.topology;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.NodeState;
import java.util.HashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage, first of all: admits a sample into its node's state and decides its event time. Learns the node's poll
 * interval (a moving average), refuses a sample older than the last one by more than the grace (a late duplicate),
 * and records when the node was last seen (event and wall time), its poll status, labels, role and timeline.
 *
 * <p>Clock skew. A sample dated more than {@code clock_skew_window} ahead of the processor's clock, or one whose
 * collector's clock went back by more than that (a newer sequence number from the same collector, dated before the
 * node's last sample), is taken at the processor's time instead, and the node's {@code clockSkewMs} says by how
 * much its clock was off (CLOCK_SKEW). Before, one sample from the future blinded its node: every later one was
 * "older than the last" and ignored until the clock caught up. A collector whose clock is steadily behind is told
 * from a backlog by PostgreSQL's own clock, read in the same round trip ({@code server_time}): in a backlog both are
 * equally old; a sample whose collector disagrees with its server by more than the window, while the server is the
 * nearer of the two to the processor's clock, is taken at the server's time. (A server whose clock is the one off is
 * not this stage's to judge: its sample keeps the collector's time.)
 */
final class SampleIntake {

    private static final Logger LOG = LoggerFactory.getLogger(SampleIntake.class);

    private final TopologySettings settings;
    private final Runnable onSkew;
    private final Runnable onCollectorChange;
    private final java.util.function.LongConsumer onMissing;

    /** @param onSkew counts a sample whose clock is off (a metric) */
    SampleIntake(final TopologySettings settings, final Runnable onSkew) {
        this(settings, onSkew, () -> { }, n -> { });
    }

    /**
     * @param onCollectorChange counts a node polled by another collector than before (a takeover)
     * @param onMissing counts samples lost between two of the same collector (a gap in its sequence numbers)
     */
    SampleIntake(final TopologySettings settings, final Runnable onSkew, final Runnable onCollectorChange,
                 final java.util.function.LongConsumer onMissing) {
        this.onCollectorChange = onCollectorChange;
        this.onMissing = onMissing;
        this.settings = settings;
        this.onSkew = onSkew;
    }

    /**
     * Whether the collector's clock, not PostgreSQL's, is the one off: they disagree by more than the window and the
     * server's time is the nearer to the processor's (a backlog makes both old by the same amount).
     */
    static boolean collectorOff(final long sampledAt, final long server, final long wall, final long window) {
        return Math.abs(sampledAt - server) > window && Math.abs(server - wall) < Math.abs(sampledAt - wall);
    }

    /** Returned by {@link #admit} for a sample too old to fold in: the node's state is left as it was. */
    static final long REFUSED = Long.MIN_VALUE;

    /** The sample's event time (its own, or the processor's when its clock is off), or {@link #REFUSED}. */
    long admit(final ReplicationSample s, final long sampledAt, final long wall, final NodeState ns) {
        final long window = settings.clockSkewWindow().toMillis();
        final boolean sameCollector = ns.collectorId != null && ns.collectorId.equals(s.getCollectorId());
        final boolean newer = sameCollector && ns.lastSequence != null && s.getSequence() > ns.lastSequence;
        long t = sampledAt;
        if (sampledAt - wall > window) {
            ns.clockSkewMs = sampledAt - wall;
            t = wall;
        } else if (s.getServerTime() != null && collectorOff(sampledAt, s.getServerTime().toEpochMilli(), wall, window)) {
            final long server = s.getServerTime().toEpochMilli();
            ns.clockSkewMs = sampledAt - server;
            t = Math.min(server, wall);
        } else if (newer && ns.lastSampleAt != null && sampledAt < ns.lastSampleAt - window) {
            ns.clockSkewMs = sampledAt - ns.lastSampleAt;
            t = Math.max(wall, ns.lastSampleAt);
        } else {
            ns.clockSkewMs = null;
        }
        if (ns.clockSkewMs != null) {
            onSkew.run();
            LOG.debug("{}/{}: sample clock off by {} ms; taken at {}", ns.cluster, ns.node, ns.clockSkewMs, t);
        }
        if (ns.lastSampleAt != null && t > ns.lastSampleAt) {
            final long gap = t - ns.lastSampleAt;
            ns.intervalMs = ns.intervalMs == null ? gap : (ns.intervalMs * 3 + gap) / 4;
        }
        if (ns.lastSampleAt != null && t < ns.lastSampleAt - settings.grace().toMillis()) {
            LOG.debug("{}/{}: sample at {} is older than the last one ({}) beyond the grace; ignored",
                    ns.cluster, ns.node, t, ns.lastSampleAt);
            return REFUSED;
        }
        if (ns.collectorId != null && !sameCollector) {
            onCollectorChange.run();
        } else if (sameCollector && ns.lastSequence != null && s.getSequence() > ns.lastSequence + 1
                && ns.lastSequence > 0) {
            onMissing.accept(s.getSequence() - ns.lastSequence - 1);
        }
        ns.collectorId = s.getCollectorId();
        ns.lastSequence = s.getSequence();
        ns.lastSampleAt = Math.max(t, ns.lastSampleAt == null ? t : ns.lastSampleAt);
        ns.lastSeenWall = wall;
        ns.stale = false;
        ns.status = s.getStatus();
        ns.message = s.getMessage();
        final java.util.Map<String, String> labels = s.getLabels();
        if (labels.isEmpty() ? !ns.labels.isEmpty() : !ns.labels.equals(labels)) {
            ns.labels = new HashMap<>(labels);
        }
        if (Samples.isOk(s)) {
            ns.inRecovery = s.getInRecovery();
            ns.timeline = s.getTimeline();
            final NodeState.Role role = Samples.isStandby(s) ? NodeState.Role.STANDBY : NodeState.Role.PRIMARY;
            if (ns.role != null && ns.role != role) {
                // Promoted or demoted: the old role's rules (a standby's receiver, lag, missing) no longer apply and
                // clear at once, without their clear_for hold; the new role's are judged from scratch.
                ns.trackers.clear();
            }
            ns.role = role;
        }
        return t;
    }
}
