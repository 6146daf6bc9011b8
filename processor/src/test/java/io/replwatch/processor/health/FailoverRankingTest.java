package io.replwatch.processor.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.LagTrend;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The failover ranking as a table: who is picked, in which order, and why the others are not eligible. */
class FailoverRankingTest {

    private static final long MB = 1024 * 1024;
    private static final FailoverRanking.Policy PATRONI_SYNC = new FailoverRanking.Policy(3, true, MB);
    private static final FailoverRanking.Policy PATRONI_ASYNC = new FailoverRanking.Policy(3, false, MB);
    private static final FailoverRanking.Policy PLAIN = new FailoverRanking.Policy(3, null, null);

    private static FailoverRanking.Candidate c(final String name, final String sync, final Long unreplicated) {
        return new FailoverRanking.Candidate(name, false, true, sync, unreplicated, unreplicated, 0L, LagTrend.OK, 3,
                false, unreplicated);
    }

    private static FailoverRanking.Candidate notStreaming(final String name) {
        return new FailoverRanking.Candidate(name, false, false, null, null, null, null, null, 3, false, null);
    }

    private static FailoverRanking.Candidate down(final String name) {
        return new FailoverRanking.Candidate(name, true, false, null, null, null, null, null, 3, false, null);
    }

    private static FailoverRanking.Candidate tagged(final String name, final String sync) {
        return new FailoverRanking.Candidate(name, false, true, sync, 0L, 0L, 0L, LagTrend.OK, 3, true, 0L);
    }

    private static FailoverRanking.Candidate onTimeline(final String name, final int tl) {
        return new FailoverRanking.Candidate(name, false, true, "async", 0L, 0L, 0L, LagTrend.OK, tl, false, 0L);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                // name, policy, candidates, expected pick, expected order, a reason expected somewhere
                Arguments.of("sync mode: only the sync standby, though another is closer", PATRONI_SYNC,
                        List.of(c("a", "async", 0L), c("b", "sync", 500L)), "b", List.of("b", "a"),
                        "not the synchronous standby"),
                Arguments.of("async: least unreplicated wins", PATRONI_ASYNC,
                        List.of(c("a", "async", 900L), c("b", "async", 100L)), "b", List.of("b", "a"), null),
                Arguments.of("ties broken by name", PATRONI_ASYNC,
                        List.of(c("b", "async", 0L), c("a", "async", 0L)), "a", List.of("a", "b"), null),
                Arguments.of("sync state before bytes", PLAIN,
                        List.of(c("a", "async", 0L), c("b", "potential", 10L), c("c", "sync", 20L)), "c",
                        List.of("c", "b", "a"), null),
                Arguments.of("nofailover is never picked", PATRONI_ASYNC,
                        List.of(tagged("a", "async"), c("b", "async", 1000L)), "b", List.of("b", "a"), "tagged nofailover"),
                Arguments.of("beyond maximum_lag_on_failover", PATRONI_ASYNC,
                        List.of(c("a", "async", 2 * MB)), null, List.of("a"), "beyond maximum_lag_on_failover"),
                Arguments.of("not streaming", PATRONI_ASYNC,
                        List.of(notStreaming("a"), c("b", "async", 5L)), "b", List.of("b", "a"), "not streaming"),
                Arguments.of("down", PLAIN, List.of(down("a")), null, List.of("a"), "DOWN"),
                Arguments.of("unknown lag under a lag limit", PATRONI_ASYNC,
                        List.of(new FailoverRanking.Candidate("a", false, true, "async", null, null, null, null, 3,
                                false, null)), null, List.of("a"), "lag unknown"),
                Arguments.of("another timeline", PLAIN, List.of(onTimeline("a", 2), onTimeline("b", 3)), "b",
                        List.of("b", "a"), "on timeline 2, the primary's is 3"),
                Arguments.of("nofailover sync standby plus a lagging async one: none", PATRONI_SYNC,
                        List.of(tagged("a", "sync"), c("b", "async", 4 * MB)), null, List.of("a", "b"),
                        "tagged nofailover"),
                Arguments.of("no standby at all", PATRONI_SYNC, List.of(), null, List.of(), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void ranks(final String name, final FailoverRanking.Policy policy, final List<FailoverRanking.Candidate> in,
               final String pick, final List<String> order, final String reason) {
        final FailoverRanking.Result r = FailoverRanking.rank(in, policy);
        assertThat(r.pick()).isEqualTo(pick);
        assertThat(r.ranked().stream().map(x -> x.candidate().node()).toList()).isEqualTo(order);
        assertThat(r.ranked().stream().map(FailoverRanking.Ranked::rank).toList())
                .isEqualTo(java.util.stream.IntStream.rangeClosed(1, order.size()).boxed().toList());
        if (reason != null) {
            assertThat(r.ranked().stream().flatMap(x -> x.reasons().stream())).anyMatch(s -> s.contains(reason));
        }
        if (pick == null) {
            assertThat(r.anyEligible()).isFalse();
            assertThat(r.why()).startsWith(in.isEmpty() ? "no standby is known" : "no standby is eligible");
        } else {
            assertThat(r.ranked().get(0).eligible()).isTrue();
            assertThat(r.ranked().get(0).reasons()).isEmpty();
        }
    }
}
