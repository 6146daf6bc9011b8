package io.replwatch.processor.topology;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;

/** What kind of sample this is: the three questions every stage asks first, answered in one place. */
final class Samples {

    private Samples() {
    }

    /** The poll returned data. */
    static boolean isOk(final ReplicationSample s) {
        return s.getStatus() == PollStatus.OK;
    }

    /** The node reported itself in recovery (a standby). */
    static boolean isStandby(final ReplicationSample s) {
        return Boolean.TRUE.equals(s.getInRecovery());
    }

    /** The node reported itself out of recovery (a primary). */
    static boolean isPrimary(final ReplicationSample s) {
        return Boolean.FALSE.equals(s.getInRecovery());
    }
}
