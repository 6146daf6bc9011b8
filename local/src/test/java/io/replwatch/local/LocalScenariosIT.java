package io.replwatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code replwatch local --scenario cascade} and {@code --scenario archive-failing} as a user runs them, on real
 * services: the transitions print, the notifications that reach the local webhook are the ones a user should get
 * (one page about the cause), and the status page's model shows each standby's upstream and the primary's
 * archiving as the scenario moves them. In the chaos suite: each runs its scenario's minutes.
 */
@Tag("chaos")
class LocalScenariosIT {

    @Test
    void cascadePagesForTheUpstreamOnlyAndShowsWhoStreamsFromWhom() throws Exception {
        final ConsoleCapture console = new ConsoleCapture();
        final LocalRun run = new LocalRun(new LocalRun.Options("cascade", null, 2, 0, console.out));
        try {
            run.start();
            await().atMost(Duration.ofSeconds(120)).until(() -> console.text().contains("transition  sandbox/cascade1")
                    && console.text().contains("UPSTREAM_DOWN"));
            // While standby2 is down: who streams from whom, as the page shows it.
            final Map<String, Object> cascade = node(run, "cascade1");
            assertThat(cascade.get("upstream")).isEqualTo("standby2");
            assertThat(String.valueOf(cascade.get("reasons"))).contains("UPSTREAM_DOWN");
            assertThat(node(run, "standby1").get("upstream")).isEqualTo("primary");
            assertThat(node(run, "standby2").get("state")).isEqualTo("DOWN");

            run.awaitScenario(Duration.ofSeconds(120));
            await().atMost(Duration.ofSeconds(60)).until(() -> "HEALTHY".equals(node(run, "cascade1").get("state"))
                    && "HEALTHY".equals(node(run, "standby2").get("state")));
            assertThat(node(run, "cascade1").get("upstream")).isEqualTo("standby2");
            await().atMost(Duration.ofSeconds(40)).until(() -> notifications(run).stream()
                    .anyMatch(n -> n.contains("resolved") && n.contains("standby2")));
            final List<String> sent = notifications(run);
            System.out.println("LocalScenariosIT cascade notifications: " + sent);
            assertThat(sent).anyMatch(n -> n.contains("firing") && n.contains("standby2") && n.contains("NODE_UNREACHABLE"));
            assertThat(sent).as("the cascading standby's UPSTREAM_DOWN is muted under standby2's page")
                    .noneMatch(n -> n.contains("cascade1") || n.contains("UPSTREAM_DOWN"));
        } finally {
            run.close();
        }
    }

    @Test
    void archiveFailingIsPagedAndTheStatusPageShowsTheArchiver() throws Exception {
        final ConsoleCapture console = new ConsoleCapture();
        final LocalRun run = new LocalRun(new LocalRun.Options("archive-failing", null, 1, 0, console.out));
        try {
            run.start();
            await().atMost(Duration.ofSeconds(120)).until(() -> "ok".equals(archiving(run).get("state")));
            await().atMost(Duration.ofSeconds(120)).until(() -> console.text().contains("transition  sandbox/primary")
                    && console.text().contains("ARCHIVE_FAILING"));
            await().atMost(Duration.ofSeconds(10)).until(() -> "failing".equals(archiving(run).get("state")));
            final Map<String, Object> failing = archiving(run);
            assertThat(failing.get("last_failed_wal")).isNotNull();
            assertThat(failing.get("ready")).isNotNull();

            run.awaitScenario(Duration.ofSeconds(120));
            await().atMost(Duration.ofSeconds(60)).until(() -> "ok".equals(archiving(run).get("state"))
                    && "HEALTHY".equals(node(run, "primary").get("state")));
            // Its resolution comes at the primary's group's next group_interval (10 s in a local run).
            await().atMost(Duration.ofSeconds(40)).until(() -> notifications(run).stream()
                    .anyMatch(n -> n.contains("resolved") && n.contains("ARCHIVE_FAILING")));
            final List<String> sent = notifications(run);
            System.out.println("LocalScenariosIT archive-failing notifications: " + sent);
            assertThat(sent).anyMatch(n -> n.contains("firing") && n.contains("ARCHIVE_FAILING"));
        } finally {
            run.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> node(final LocalRun run, final String name) {
        final List<Map<String, Object>> nodes = (List<Map<String, Object>>) run.feed().snapshot().get("nodes");
        return nodes.stream().filter(n -> name.equals(n.get("node"))).findFirst().orElse(Map.of());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> archiving(final LocalRun run) {
        final Object a = node(run, "primary").get("archiving");
        return a == null ? Map.of() : (Map<String, Object>) a;
    }

    /** Each notification the local webhook received, as "status severity title text". */
    @SuppressWarnings("unchecked")
    private static List<String> notifications(final LocalRun run) {
        return ((List<Map<String, Object>>) run.feed().snapshot().get("notifications")).stream()
                .map(n -> n.get("status") + " " + n.get("severity") + " " + n.get("title") + " " + n.get("text")).toList();
    }
}
