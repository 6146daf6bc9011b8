package io.replwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.collector.config.NodeConfig;
import io.replwatch.collector.poll.NodePoller;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.sandbox.TestCertificates;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * TLS to PostgreSQL (issue 17), on a real server with a certificate from a test CA: {@code verify-full} with the
 * right CA connects encrypted; with another CA the node is refused with a clear error (and the sample says so);
 * a node polled without encryption is counted in a metric.
 */
class CollectorTlsIT {

    private static NodePoller poller(final PgNode n, final String sslmode, final String rootCert) {
        return new NodePoller(new NodeConfig("tls", n.name(), "127.0.0.1", n.port(), "postgres", PgNode.MONITOR_USER,
                PgNode.MONITOR_PASSWORD, sslmode, rootCert, null, null, Map.of()), "tls-it", Duration.ofSeconds(3),
                Duration.ofSeconds(3), Duration.ofSeconds(60), System::currentTimeMillis);
    }

    @Test
    void verifyFullConnectsAWrongCaIsRefusedAndPlainIsCounted() throws Exception {
        try (Sandbox sb = Sandbox.builder().tempDir("tls-it-").kafka(false).registry(false).standbys(0).start()) {
            final PgNode primary = sb.postgres().nodes().get(0);
            final TestCertificates good = TestCertificates.create(sb.dir().resolve("ca-good"));
            final TestCertificates other = TestCertificates.create(sb.dir().resolve("ca-other"));
            sb.postgres().enableTls(primary.name(), good);

            try (NodePoller p = poller(primary, "verify-full", good.ca().toString())) {
                final ReplicationSample s = p.poll();
                assertThat(s.getStatus()).as(s.getMessage()).isEqualTo(PollStatus.OK);
                assertThat(p.encrypted()).isTrue();
            }
            try (NodePoller p = poller(primary, "verify-full", other.ca().toString())) {
                final ReplicationSample s = p.poll();
                assertThat(s.getStatus()).isNotEqualTo(PollStatus.OK);
                assertThat(s.getMessage()).as("a clear reason").containsIgnoringCase("certificate");
                assertThat(s.getMessage()).doesNotContain(PgNode.MONITOR_PASSWORD + "@");
            }

            // Through the collector: one node with TLS, one without; the metric counts the plain one.
            final String yaml = """
                    collector_id: tls-it
                    poll_interval: 200ms
                    http_port: -1
                    kafka: {bootstrap.servers: "127.0.0.1:1"}
                    schema_registry: {url: "http://127.0.0.1:1"}
                    defaults: {host: 127.0.0.1, port: %d, user: %s, password: %s}
                    clusters:
                      - name: tls
                        nodes:
                          - {name: secure, sslmode: verify-full, sslrootcert: "%s"}
                          - {name: plain, sslmode: disable}
                    """.formatted(primary.port(), PgNode.MONITOR_USER, PgNode.MONITOR_PASSWORD, good.ca());
            final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
            final List<ReplicationSample> samples = new CopyOnWriteArrayList<>();
            try (Collector c = new Collector(CollectorConfig.parse(yaml, k -> null), samples::add, metrics)) {
                c.start();
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                        samples.stream().map(ReplicationSample::getNode).distinct().count() == 2);
                assertThat(samples).allMatch(x -> x.getStatus() == PollStatus.OK);
                assertThat(metrics.get("replwatch_collector_nodes_unencrypted").gauge().value()).isEqualTo(1.0);
            }
        }
    }
}
