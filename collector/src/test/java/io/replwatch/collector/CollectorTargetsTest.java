package io.replwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.collector.config.NodeConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Hot changes of a collector's clusters (what the targets topic drives), with nodes nobody listens on (each poll
 * is a quick UNREACHABLE sample): no PostgreSQL needed to see what is polled, what says farewell and what does not.
 */
class CollectorTargetsTest {

    private static NodeConfig node(final String cluster, final String name, final int port) {
        return new NodeConfig(cluster, name, "127.0.0.1", port, "postgres", "monitor", null, "disable", null, null, null,
                Map.of());
    }

    @Test
    void clustersAreAddedChangedRemovedAndHandedOverWithoutARestart() {
        final CollectorConfig cfg = new CollectorConfig("c1", Duration.ofMillis(200), Duration.ofMillis(500),
                Duration.ofMillis(500), Duration.ofSeconds(60), 4, "t", -1, "127.0.0.1", Map.of(), Map.of(), List.of());
        final List<ReplicationSample> out = new CopyOnWriteArrayList<>();
        final AtomicInteger changes = new AtomicInteger();
        try (Collector c = new Collector(cfg, out::add, new SimpleMeterRegistry())) {
            c.onClustersChanged(changes::incrementAndGet);
            c.start();
            c.applyCluster("a", List.of(node("a", "a1", 1), node("a", "a2", 1)), null);
            c.applyCluster("b", List.of(node("b", "b1", 1)), Duration.ofMillis(300));
            assertThat(c.clusters()).containsExactly("a", "b");
            assertThat(changes).as("two clusters started").hasValue(2);
            await().atMost(Duration.ofSeconds(10)).until(() -> polled(out, "a/a1") >= 3 && polled(out, "b/b1") >= 2);

            // a2 leaves its cluster, a1 moves to another port: a1 keeps being polled, a2 says farewell once.
            c.applyCluster("a", List.of(node("a", "a1", 2)), null);
            assertThat(out).filteredOn(s -> s.getNode().equals("a2") && s.getRetired()).hasSize(1);
            assertThat(out).filteredOn(s -> s.getNode().equals("a1") && s.getRetired()).isEmpty();
            assertThat(c.pollers()).extracting(p -> p.node().name()).containsExactlyInAnyOrder("a1", "b1");
            assertThat(c.pollers()).filteredOn(p -> p.node().name().equals("a1")).singleElement()
                    .satisfies(p -> assertThat(p.node().port()).isEqualTo(2));

            // b is handed to another collector: no farewell. a leaves the targets: a farewell per node.
            c.removeCluster("b", null);
            c.removeCluster("a", "its cluster left the targets: no longer polled");
            assertThat(c.clusters()).isEmpty();
            assertThat(changes).hasValue(4);
            assertThat(out).filteredOn(s -> s.getNode().equals("b1") && s.getRetired()).isEmpty();
            assertThat(out).filteredOn(s -> s.getNode().equals("a1") && s.getRetired()).singleElement()
                    .satisfies(s -> assertThat(s.getMessage()).contains("left the targets"));
            final int after = out.size();
            // Three poll intervals without a sample (and the same assertion after, for its message).
            await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> out.size() == after);
            assertThat(out.subList(after, out.size())).as("nothing polled after removal").isEmpty();
            // Every node's samples are in sequence order, one run of numbers per poller. A poll still running when its
            // node is dropped is not published, but took its number: only a farewell can follow such a gap (a number
            // above the last, or 2 when the dropped poller's first poll was the one left out).
            for (final String n : List.of("a1", "a2", "b1")) {
                final List<ReplicationSample> samples = out.stream().filter(s -> s.getNode().equals(n)).toList();
                final List<Long> seq = samples.stream().map(ReplicationSample::getSequence).toList();
                for (int i = 1; i < seq.size(); i++) {
                    if (samples.get(i).getRetired()) {
                        assertThat(seq.get(i) > seq.get(i - 1) || seq.get(i) <= 2).as(n + " farewell " + seq).isTrue();
                    } else {
                        assertThat(seq.get(i)).as(n + " " + seq).isIn(seq.get(i - 1) + 1, 1L);
                    }
                }
            }
        }
    }

    private static long polled(final List<ReplicationSample> out, final String key) {
        return out.stream().filter(s -> (s.getCluster() + "/" + s.getNode()).equals(key)).count();
    }

}
