package io.replwatch.alerter.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.alerter.Fixtures;
import io.replwatch.alerter.config.AlerterConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Matchers and the routing tree, as numbered tables: one row per case, with why the result is right. */
class RoutingTest {

    private static final Map<String, String> LABELS = Map.of("cluster", "orders-eu", "node", "pg-2", "rule",
            "LAG_TIME", "severity", "CRITICAL", "env", "prod");

    @ParameterizedTest(name = "matcher row {0}: {1}")
    @CsvSource(delimiter = ';', textBlock = """
            # Row 1: plain equality on a present label.
            1 ; cluster="orders-eu"      ; true
            # Row 2: unquoted values are accepted (operators type them either way).
            2 ; cluster=orders-eu        ; true
            # Row 3: != is true for a different value.
            3 ; severity!="WARNING"      ; true
            # Row 4: regexes are anchored: "orders" alone must not match "orders-eu".
            4 ; cluster=~"orders"        ; false
            # Row 5: an anchored regex covering the whole value matches.
            5 ; cluster=~"orders-.*"     ; true
            # Row 6: negative regex.
            6 ; rule!~"SLOT_.*"          ; true
            # Row 7: a missing label matches as empty, so ="" is true and a non-empty equality false.
            7 ; team=""                  ; true
            8 ; team="dba"               ; false
            # Row 9: alternation inside the anchors.
            9 ; severity=~"CRITICAL|DOWN" ; true
            """)
    void matchers(final int row, final String text, final boolean expected) {
        assertThat(Matcher.parse(text).matches(LABELS)).as("row %d", row).isEqualTo(expected);
    }

    @Test
    void badMatchersSayWhy() {
        assertThatThrownBy(() -> Matcher.parse("cluster=~\"(\"")).hasMessageContaining("bad regex");
        assertThatThrownBy(() -> Matcher.parse("no operator")).hasMessageContaining("is not a matcher");
    }

    private static final String TREE = """
            kafka: {bootstrap.servers: "localhost:9092"}
            schema_registry: {url: "mock://routing"}
            receivers:
              - {name: default, type: console}
              - {name: pager, type: console}
              - {name: eu-team, type: console}
              - {name: audit, type: console}
            route:
              receiver: default
              group_by: [cluster]
              routes:
                - matchers: ['rule=~".*"']
                  receiver: audit
                  continue: true
                  group_by: ["..."]
                - matchers: ['severity=~"CRITICAL|DOWN"']
                  receiver: pager
                  routes:
                    - matchers: ['cluster=~".*-eu"']
                      receiver: eu-team
                - matchers: ['cluster=~".*-eu"']
                  receiver: eu-team
            """;

    @ParameterizedTest(name = "route row {0}")
    @CsvSource(delimiter = '|', textBlock = """
            # Row 1: a CRITICAL alert in an EU cluster: audit (continue) and the pager route, whose EU child takes it.
            1 | orders-eu | CRITICAL | audit,eu-team
            # Row 2: CRITICAL outside the EU: audit, then pager (no child matches, so the pager route itself).
            2 | orders-us | CRITICAL | audit,pager
            # Row 3: a WARNING in the EU: audit, then the pager route does not match, the third route does.
            3 | orders-eu | WARNING  | audit,eu-team
            # Row 4: a WARNING elsewhere: audit, and no other child matches; audit matched, so the root does not take it.
            4 | orders-us | WARNING  | audit
            """)
    void routingTree(final int row, final String cluster, final String severity, final String receivers) {
        final Route root = AlerterConfig.parse(TREE, k -> null).route();
        final List<String> got = root.match(Fixtures.firing(cluster, "pg-2", "LAG_TIME", severity, "t").labels())
                .stream().map(Route::receiver).toList();
        assertThat(got).as("row %d", row).containsExactly(receivers.split(","));
    }

    @Test
    void childrenInheritWhatTheyDoNotSet() {
        final Route root = AlerterConfig.parse(TREE, k -> null).route();
        final Route pagerEu = root.routes().get(1).routes().get(0);
        assertThat(pagerEu.groupBy()).containsExactly("cluster");
        assertThat(pagerEu.groupWait()).isEqualTo(root.groupWait());
        assertThat(root.routes().get(0).groupLabels(LABELS)).isEqualTo(new java.util.TreeMap<>(LABELS));
    }

    @Test
    void defaultInhibitionMutesADownNodesLagButNotItsNeighbours() {
        final var down = Fixtures.firing("orders", "pg-2", "NODE_UNREACHABLE", "DOWN", "t1");
        final var ownLag = Fixtures.firing("orders", "pg-2", "LAG_TIME", "CRITICAL", "t2");
        final var ownMissing = Fixtures.firing("orders", "pg-2", "STANDBY_MISSING", "WARNING", "t7");
        final var otherLag = Fixtures.firing("orders", "pg-3", "LAG_TIME", "CRITICAL", "t3");
        final var failover = Fixtures.firing("orders", "pg-1", "FAILOVER", "CRITICAL", "t4");
        final var missing = Fixtures.firing("orders", "pg-1", "STANDBY_MISSING", "WARNING", "t5");
        final var missingElsewhere = Fixtures.firing("billing", "pg-1", "STANDBY_MISSING", "WARNING", "t6");
        final List<InhibitRule> rules = InhibitRule.defaults();
        final var active = List.of(down, ownLag, ownMissing, otherLag, failover, missing, missingElsewhere);
        assertThat(rules.stream().anyMatch(r -> r.inhibits(ownLag, active))).isTrue();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(ownMissing, active))).as("a down standby is missing, of course")
                .isTrue();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(otherLag, active))).isFalse();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(down, active))).as("the cause itself pages").isFalse();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(missing, active))).isTrue();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(missingElsewhere, active))).isFalse();
    }

    /** Issue 15: a cascading standby's UPSTREAM_DOWN is muted while a node of its cluster is unreachable. */
    @Test
    void anUnreachableUpstreamMutesItsCascadingStandbysUpstreamDown() {
        final var down = Fixtures.firing("orders", "pg-2", "NODE_UNREACHABLE", "DOWN", "t1");
        final var cascaded = Fixtures.firing("orders", "pg-3", "UPSTREAM_DOWN", "CRITICAL", "t2");
        final var elsewhere = Fixtures.firing("billing", "pg-3", "UPSTREAM_DOWN", "CRITICAL", "t3");
        final var ownLink = Fixtures.firing("orders", "pg-4", "RECEIVER_DISCONNECTED", "CRITICAL", "t4");
        final List<InhibitRule> rules = InhibitRule.defaults();
        final var active = List.of(down, cascaded, elsewhere, ownLink);
        assertThat(rules.stream().anyMatch(r -> r.inhibits(cascaded, active))).as("one page, the upstream's").isTrue();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(elsewhere, active))).as("another cluster").isFalse();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(ownLink, active)))
                .as("a neighbour's own broken link still pages").isFalse();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(cascaded, List.of(cascaded)))).as("without the cause")
                .isFalse();
    }

    /** Issue 21: Patroni's maintenance mode mutes its cluster's outage pages, not what risks data. */
    @Test
    void patroniMaintenanceMutesOutagesButNotDataRisks() {
        final var paused = Fixtures.firing("billing", "pg-1", "PATRONI_PAUSED", "WARNING", "t1");
        final var stopped = Fixtures.firing("billing", "pg-2", "NODE_UNREACHABLE", "DOWN", "t2");
        final var link = Fixtures.firing("billing", "pg-3", "RECEIVER_DISCONNECTED", "CRITICAL", "t3");
        final var slot = Fixtures.firing("billing", "pg-1", "SLOT_RETENTION", "CRITICAL", "t4");
        final var horizon = Fixtures.firing("billing", "pg-1", "XMIN_HORIZON", "WARNING", "t5");
        final var elsewhere = Fixtures.firing("orders", "pg-2", "NODE_UNREACHABLE", "DOWN", "t6");
        final var switchover = Fixtures.firing("orders", "pg-1", "SWITCHOVER", "WARNING", "t7");
        final var missing = Fixtures.firing("orders", "pg-1", "STANDBY_MISSING", "WARNING", "t8");
        final List<InhibitRule> rules = InhibitRule.defaults();
        final var active = List.of(paused, stopped, link, slot, horizon, elsewhere, switchover, missing);
        assertThat(rules.stream().anyMatch(r -> r.inhibits(stopped, active))).as("a node stopped in maintenance").isTrue();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(link, active))).isTrue();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(slot, active))).as("slot retention still pages").isFalse();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(horizon, active))).isFalse();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(elsewhere, active))).as("another cluster").isFalse();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(paused, active))).as("the pause itself is sent").isFalse();
        assertThat(rules.stream().anyMatch(r -> r.inhibits(missing, active))).as("a switchover mutes as a failover does")
                .isTrue();
    }
}
