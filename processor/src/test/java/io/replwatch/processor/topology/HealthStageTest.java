package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.HealthState;
import io.replwatch.avro.PollStatus;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.health.Rules;
import io.replwatch.processor.state.NodeState;
import org.junit.jupiter.api.Test;

/** The health stage: one transition per change, deterministic ids, node health on change and on a timer. */
class HealthStageTest {

    private final RecordingOutputs out = new RecordingOutputs();
    private final HealthStage health = new HealthStage(TopologySettings.defaults(), out);

    private static NodeState node() {
        final NodeState ns = new NodeState();
        ns.cluster = "c";
        ns.node = "s1";
        ns.role = NodeState.Role.STANDBY;
        return ns;
    }

    private static NodeView view(final PollStatus status) {
        return NodeView.builder("c", "s1").status(status).message("refused").inRecovery(true)
                .receiverStatus("streaming").build();
    }

    @Test
    void aChangeIsOneTransitionAndTheSameStateIsNone() {
        final NodeState ns = node();
        health.evaluate(view(PollStatus.OK), 1_000, ns, 1_000);
        health.evaluate(view(PollStatus.UNREACHABLE), 2_000, ns, 2_000);
        health.evaluate(view(PollStatus.UNREACHABLE), 3_000, ns, 3_000);
        assertThat(out.transitions).extracting(t -> t.getToState()).containsExactly(HealthState.HEALTHY, HealthState.DOWN);
        assertThat(out.transitions.get(1).getFromState()).isEqualTo(HealthState.HEALTHY);
        assertThat(out.transitions.get(1).getReasons()).extracting(r -> r.getRule()).containsExactly(Rules.NODE_UNREACHABLE);
        assertThat(out.transitions.get(1).getRole()).isEqualTo("STANDBY");
        assertThat(ns.state).isEqualTo(HealthState.DOWN);
        assertThat(ns.stateSince).isEqualTo(2_000L);
        health.evaluate(view(PollStatus.OK), 4_000, ns, 4_000);
        assertThat(out.transitions.get(2).getCleared()).containsExactly(Rules.NODE_UNREACHABLE);
    }

    @Test
    void theSameInputGivesTheSameTransitionId() {
        final HealthStage other = new HealthStage(TopologySettings.defaults(), new RecordingOutputs());
        final NodeState a = node();
        final NodeState b = node();
        health.evaluate(view(PollStatus.UNREACHABLE), 5_000, a, 1);
        other.evaluate(view(PollStatus.UNREACHABLE), 5_000, b, 999);
        assertThat(out.transitions.get(0).getId())
                .isEqualTo(HealthStage.transitionId("c/s1", 5_000, HealthState.UNKNOWN, HealthState.DOWN, java.util.List.of(Rules.NODE_UNREACHABLE)))
                .isNotEqualTo(HealthStage.transitionId("c/s1", 5_001, HealthState.UNKNOWN, HealthState.DOWN, java.util.List.of(Rules.NODE_UNREACHABLE)));
    }

    @Test
    void nodeHealthFollowsEveryTransitionAndOtherwiseRefreshesOnTheWallClock() {
        final NodeState ns = node();
        health.evaluate(view(PollStatus.OK), 0, ns, 0);
        for (long wall = 1_000; wall < 30_000; wall += 1_000) {
            health.evaluate(view(PollStatus.OK), wall, ns, wall);
        }
        assertThat(out.nodeHealth).as("the transition only: node_health_every is 30 s").hasSize(1);
        health.evaluate(view(PollStatus.OK), 30_000, ns, 30_000);
        assertThat(out.nodeHealth).hasSize(2);
        assertThat(out.nodeHealth.get(1).getState()).isEqualTo(HealthState.HEALTHY);
    }
}
