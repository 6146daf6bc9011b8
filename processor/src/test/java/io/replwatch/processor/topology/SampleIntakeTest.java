package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.Samples;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.NodeState;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The intake stage's event time under clock skew (issue 17). Before: one sample dated in the future blinded its
 * node, since every later sample was "older than the last one" and ignored, at DEBUG, until the clock caught up.
 */
class SampleIntakeTest {

    private static final long WALL = 1_800_000_000_000L;
    private static final long TEN_MIN = 600_000;
    private final AtomicInteger skewed = new AtomicInteger();
    private final SampleIntake intake = new SampleIntake(TopologySettings.defaults(), skewed::incrementAndGet);
    private final NodeState ns = new NodeState();

    private static ReplicationSample sample(final long sampledAt, final long sequence) {
        return ReplicationSample.newBuilder(Samples.streaming("s1", sampledAt, 100)).setCollectorId("col-1")
                .setSequence(sequence).build();
    }

    @Test
    void aSampleOnTimeKeepsItsOwnTime() {
        assertThat(intake.admit(sample(WALL - 300, 1), WALL - 300, WALL, ns)).isEqualTo(WALL - 300);
        assertThat(ns.clockSkewMs).isNull();
        assertThat(skewed).hasValue(0);
    }

    @Test
    void aCollectorTenMinutesFastIsSkewAndHidesNoLaterSample() {
        intake.admit(sample(WALL - 1_000, 1), WALL - 1_000, WALL - 1_000, ns);
        // Its clock jumps 10 minutes ahead: taken at the processor's time, skew said.
        assertThat(intake.admit(sample(WALL + TEN_MIN, 2), WALL + TEN_MIN, WALL, ns)).isEqualTo(WALL);
        assertThat(ns.clockSkewMs).isEqualTo(TEN_MIN);
        assertThat(skewed).hasValue(1);
        // Fixed a second later: the next sample is taken, not ignored as older than the one from the future.
        assertThat(intake.admit(sample(WALL + 1_000, 3), WALL + 1_000, WALL + 1_000, ns)).isEqualTo(WALL + 1_000);
        assertThat(ns.clockSkewMs).isNull();
    }

    @Test
    void aCollectorClockThatJumpsTenMinutesBackIsSkewAndHidesNothing() {
        intake.admit(sample(WALL, 1), WALL, WALL, ns);
        // Sequence 2 is newer, but dated 10 minutes earlier: the clock went back.
        final long t = intake.admit(sample(WALL - TEN_MIN + 1_000, 2), WALL - TEN_MIN + 1_000, WALL + 1_000, ns);
        assertThat(t).isEqualTo(WALL + 1_000);
        assertThat(ns.clockSkewMs).isEqualTo(-TEN_MIN + 1_000);
        assertThat(intake.admit(sample(WALL - TEN_MIN + 2_000, 3), WALL - TEN_MIN + 2_000, WALL + 2_000, ns))
                .as("and the one after").isEqualTo(WALL + 2_000);
    }

    @Test
    void aLateDuplicateIsStillRefusedAndABacklogIsNoSkew() {
        // A backlog an hour old, processed now in a burst: its own times, no skew.
        for (int i = 0; i < 5; i++) {
            final long at = WALL - 3_600_000 + i * 1_000L;
            assertThat(intake.admit(sample(at, 10 + i), at, WALL, ns)).isEqualTo(at);
        }
        assertThat(ns.clockSkewMs).isNull();
        // An old sequence number dated before the last sample beyond the grace: a duplicate, refused.
        assertThat(intake.admit(sample(WALL - 3_700_000, 3), WALL - 3_700_000, WALL, ns)).isEqualTo(SampleIntake.REFUSED);
        assertThat(skewed).hasValue(0);
    }

    private static ReplicationSample withServerTime(final long sampledAt, final long serverTime, final long sequence) {
        return ReplicationSample.newBuilder(sample(sampledAt, sequence))
                .setServerTime(java.time.Instant.ofEpochMilli(serverTime)).build();
    }

    /** Issue 17: a collector clock steadily 10 minutes slow, told from a backlog by PostgreSQL's clock. */
    @Test
    void aCollectorTenMinutesSlowIsSkewTakenAtTheServersTime() {
        for (int i = 0; i < 3; i++) {
            final long server = WALL + i * 1_000L;
            assertThat(intake.admit(withServerTime(server - TEN_MIN, server, i + 1), server - TEN_MIN, server + 50, ns))
                    .as("sample %d at PostgreSQL's time", i).isEqualTo(server);
            assertThat(ns.clockSkewMs).isEqualTo(-TEN_MIN);
        }
        assertThat(skewed).hasValue(3);
    }

    @Test
    void aBacklogWithGoodClocksIsNoSkewAndASlowCollectorInABacklogStillIs() {
        // An hour-old backlog: collector and server agree, both old.
        final long at = WALL - 3_600_000;
        assertThat(intake.admit(withServerTime(at, at + 3, 1), at, WALL, ns)).isEqualTo(at);
        assertThat(ns.clockSkewMs).isNull();
        // The same backlog from a collector 10 minutes slow: the server's time, nearer to now, is taken.
        assertThat(intake.admit(withServerTime(at + 1_000 - TEN_MIN, at + 1_000, 2), at + 1_000 - TEN_MIN, WALL, ns))
                .isEqualTo(at + 1_000);
        assertThat(ns.clockSkewMs).isEqualTo(-TEN_MIN);
    }

    @Test
    void aServerWhoseClockIsOffLeavesTheCollectorsTime() {
        // PostgreSQL's host is 10 minutes behind; the collector agrees with the processor: its time is kept.
        assertThat(intake.admit(withServerTime(WALL, WALL - TEN_MIN, 1), WALL, WALL + 20, ns)).isEqualTo(WALL);
        assertThat(ns.clockSkewMs).isNull();
        assertThat(SampleIntake.collectorOff(WALL, WALL - TEN_MIN, WALL, 60_000)).isFalse();
        // and hovering at the window: 59 s apart is no skew, 61 s is
        assertThat(SampleIntake.collectorOff(WALL - 59_000, WALL, WALL, 60_000)).isFalse();
        assertThat(SampleIntake.collectorOff(WALL - 61_000, WALL, WALL, 60_000)).isTrue();
    }

    @Test
    void aTakeoverIsToldFromLostSamples() {
        final AtomicInteger changes = new AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong missing = new java.util.concurrent.atomic.AtomicLong();
        final SampleIntake counting = new SampleIntake(TopologySettings.defaults(), () -> { }, changes::incrementAndGet,
                missing::addAndGet);
        counting.admit(sample(WALL, 7), WALL, WALL, ns);
        counting.admit(sample(WALL + 1_000, 8), WALL + 1_000, WALL + 1_000, ns);
        counting.admit(sample(WALL + 4_000, 11), WALL + 4_000, WALL + 4_000, ns);
        assertThat(missing).as("9 and 10 lost").hasValue(2);
        // Another collector takes the node over and numbers from 1: a change of collector, not a gap.
        counting.admit(ReplicationSample.newBuilder(sample(WALL + 9_000, 1)).setCollectorId("col-2").build(),
                WALL + 9_000, WALL + 9_000, ns);
        counting.admit(ReplicationSample.newBuilder(sample(WALL + 10_000, 2)).setCollectorId("col-2").build(),
                WALL + 10_000, WALL + 10_000, ns);
        assertThat(changes).hasValue(1);
        assertThat(missing).hasValue(2);
    }
}
