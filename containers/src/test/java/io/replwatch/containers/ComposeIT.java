package io.replwatch.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import io.replwatch.lake.sink.ParquetRows;

/**
 * docker-compose.yml started for real, as a user starts it: the images deploy/images/build.sh made, the compose
 * file unchanged, {@code docker compose up -d} (Debian's docker-compose v1 here). Every service becomes healthy, a stopped
 * standby container reaches a webhook on this host as a firing notification and its start as the resolution,
 * Prometheus holds the DOWN state and answers every panel of the shipped Grafana dashboard, the lake writes
 * Parquet to its volume, and `down` leaves no container, network or volume behind.
 */
@Tag("chaos")
@Tag("containers")
class ComposeIT {

    private static final Path ROOT = Path.of(System.getProperty("replwatch.root", "..")).toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** The services docker-compose.yml starts by default (grafana is under a profile); each has a health check. */
    private static final List<String> SERVICES = List.of("kafka", "schema-registry", "postgres-primary",
            "postgres-standby", "collector", "processor", "alerter", "lake", "prometheus");
    private static final List<Integer> PUBLISHED = List.of(5432, 5433, 8081, 9090, 9187, 9188, 9189, 9191);

    private record Received(long atNanos, JsonNode body) {
    }

    @Test
    void composeStartsCatchesAStoppedStandbyFeedsPrometheusAndTheLakeAndLeavesNothingBehind() throws Exception {
        for (final int port : PUBLISHED) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("127.0.0.1", port));
            } catch (final java.io.IOException e) {
                throw new AssertionError("port " + port + " on 127.0.0.1 is taken: docker-compose.yml publishes it", e);
            }
        }
        final DockerClient docker = DockerClientFactory.instance().client();
        // The alerter posts to host.docker.internal (host-gateway: the default bridge's gateway, an address of
        // this host); the receiver listens there only.
        final String gateway = bridgeGateway(docker);
        final List<Received> received = new CopyOnWriteArrayList<>();
        final HttpServer receiver = HttpServer.create(new InetSocketAddress(gateway, 0), 0);
        receiver.createContext("/hook", ex -> {
            final byte[] body = ex.getRequestBody().readAllBytes();
            received.add(new Received(System.nanoTime(), JSON.readTree(body)));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        receiver.start();

        final Compose compose = new Compose(ROOT.resolve("docker-compose.yml"), "rwit" + ProcessHandle.current().pid(),
                Map.of("OPS_WEBHOOK_URL", "http://host.docker.internal:" + receiver.getAddress().getPort() + "/hook"));
        final String project = compose.project();

        final AtomicLong firstSampleNanos = new AtomicLong();
        final long up = System.nanoTime();
        final Thread firstSample = new Thread(() -> {
            while (firstSampleNanos.get() == 0 && !Thread.currentThread().isInterrupted()) {
                final JsonNode c = get("http://127.0.0.1:9188/api/v1/clusters/compose");
                if (c != null && c.path("nodes").size() > 0) {
                    firstSampleNanos.set(System.nanoTime());
                }
                try {
                    Thread.sleep(100);
                } catch (final InterruptedException e) {
                    return;
                }
            }
        }, "first-sample");
        firstSample.setDaemon(true);
        firstSample.start();
        try {
            compose.up();
            final Map<String, Double> healthyAt = compose.awaitHealthy(docker, SERVICES, up, Duration.ofMinutes(4));
            final double healthySeconds = seconds(System.nanoTime() - up);
            log("every service healthy after %.1f s: %s", healthySeconds, healthyAt);
            await("both nodes HEALTHY in the processor's API").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(200)).until(() -> {
                        final JsonNode c = get("http://127.0.0.1:9188/api/v1/clusters/compose");
                        return c != null && nodeState(c, "primary").equals("HEALTHY")
                                && nodeState(c, "standby").equals("HEALTHY");
                    });
            await().atMost(Duration.ofSeconds(30)).until(() -> firstSampleNanos.get() != 0);
            final double firstSampleSeconds = seconds(firstSampleNanos.get() - up);

            // The fault: the standby's container stopped as an operator (or an OOM kill) would.
            final String standby = compose.containerId(docker, "postgres-standby");
            final long stop = System.nanoTime();
            docker.stopContainerCmd(standby).withTimeout(10).exec();
            final Received firing = await("a firing notification for the standby").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> find(received, "firing", "standby"), r -> r != null);
            final double stopToWebhook = seconds(firing.atNanos() - stop);
            log("docker stop -> firing webhook %.1f s", stopToWebhook);
            final Set<String> firingRules = rules(firing.body(), "standby", "FIRING");
            assertThat(firingRules).as("what the webhook was told").contains("NODE_UNREACHABLE");
            final JsonNode down = get("http://127.0.0.1:9188/api/v1/clusters/compose");
            assertThat(nodeState(down, "standby")).isEqualTo("DOWN");
            // Prometheus scraped the processor's replication gauges while the standby was down.
            await("Prometheus holds the standby's DOWN state").atMost(Duration.ofSeconds(30))
                    .until(() -> promql("replwatch_node_state{cluster=\"compose\",node=\"standby\",state=\"DOWN\"} == 1")
                            .size() == 1);

            final long start = System.nanoTime();
            docker.startContainerCmd(standby).exec();
            final Received resolved = await("the resolution for the standby").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> find(received, "resolved", "standby"), r -> r != null);
            final double startToResolved = seconds(resolved.atNanos() - start);
            log("docker start -> resolved webhook %.1f s", startToResolved);
            assertThat(rules(resolved.body(), "standby", "RESOLVED")).contains("NODE_UNREACHABLE");
            await("the standby HEALTHY again").atMost(Duration.ofMinutes(1)).until(() -> nodeState(
                    get("http://127.0.0.1:9188/api/v1/clusters/compose"), "standby").equals("HEALTHY"));

            // Every panel of the shipped dashboard answers from this Prometheus.
            final JsonNode dashboard = JSON.readTree(ROOT.resolve("deploy/grafana/dashboards/replwatch-fleet.json").toFile());
            // (the WAL rate appears once the primary's first WAL window has closed)
            final List<String> empty = await("every dashboard panel has series").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofSeconds(2)).until(() -> emptyPanels(dashboard), List::isEmpty);
            int queries = 0;
            for (final JsonNode panel : dashboard.path("panels")) {
                queries += panel.path("targets").size();
            }
            assertThat(queries).isGreaterThan(5);
            assertThat(empty).isEmpty();
            log("%d dashboard queries answered", queries);
            // replwatch's example alerting rules are loaded and evaluated by the compose Prometheus.
            final JsonNode rules = get("http://127.0.0.1:9090/api/v1/rules");
            assertThat(rules).isNotNull();
            final List<String> ruleHealth = new ArrayList<>();
            rules.path("data").path("groups").forEach(g -> g.path("rules").forEach(r -> ruleHealth.add(
                    r.path("name").asText() + "=" + r.path("health").asText())));
            assertThat(ruleHealth).isNotEmpty().allSatisfy(r -> assertThat(r).doesNotEndWith("=err"));
            // The lake's Parquet, read back from its volume (a file is published when it rolls: max_age 1m).
            final String lake = compose.containerId(docker, "lake");
            final String file = await("a Parquet file of samples in the lake's volume").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofSeconds(2)).until(() -> Compose.run(List.of(DockerCli.binary(), "exec", lake,
                            "find", "/var/lib/replwatch/lake", "-path", "*/samples/*", "-name",
                            "replwatch.samples+*.parquet")).lines().findFirst().orElse(null), f -> f != null);
            final Path local = Files.createTempDirectory("compose-lake").resolve("samples.parquet");
            Compose.run(List.of(DockerCli.binary(), "cp", lake + ":" + file, local.toString()));
            final Set<String> nodes = new HashSet<>();
            final long rows = ParquetRows.<GenericRecord>read(local, GenericData.get(),
                    r -> nodes.add(r.get("cluster") + "/" + r.get("node")));
            assertThat(rows).isPositive();
            assertThat(nodes).contains("compose/primary", "compose/standby");

            System.out.printf("ComposeIT: up -> every service healthy %.1f s, up -> first sample in the processor's"
                    + " API %.1f s, docker stop -> webhook %.1f s (%s), docker start -> resolved %.1f s; %d Parquet rows;"
                    + " %d dashboard queries%n", healthySeconds, firstSampleSeconds, stopToWebhook, firingRules,
                    startToResolved, rows, queries);
        } catch (final Throwable t) {
            dumpLogs(docker, project);
            throw t;
        } finally {
            firstSample.interrupt();
            receiver.stop(0);
            compose.down();
        }
        final String prefix = project + "_";
        final Map<String, String> label = Map.of("com.docker.compose.project", project);
        final List<String> left = new ArrayList<>();
        docker.listContainersCmd().withShowAll(true).withLabelFilter(label).exec()
                .forEach(c -> left.add("container " + String.join(",", c.getNames())));
        docker.listNetworksCmd().exec().stream().filter(n -> n.getName().startsWith(prefix))
                .forEach(n -> left.add("network " + n.getName()));
        final var volumes = docker.listVolumesCmd().exec().getVolumes();
        if (volumes != null) {
            volumes.stream().filter(v -> v.getName().startsWith(prefix)).forEach(v -> left.add("volume " + v.getName()));
        }
        assertThat(left).as("left behind by docker-compose down -v").isEmpty();
    }

    /** The default bridge's gateway: from Docker's IPAM when it says, else docker0's IPv4 address. */
    private static String bridgeGateway(final DockerClient docker) throws java.net.SocketException {
        final var config = docker.inspectNetworkCmd().withNetworkId("bridge").exec().getIpam().getConfig();
        if (config != null && !config.isEmpty() && config.get(0).getGateway() != null) {
            return config.get(0).getGateway();
        }
        final java.net.NetworkInterface docker0 = java.net.NetworkInterface.getByName("docker0");
        assertThat(docker0).as("the docker0 interface").isNotNull();
        return docker0.inetAddresses().filter(a -> a instanceof java.net.Inet4Address).findFirst()
                .orElseThrow(() -> new AssertionError("docker0 has no IPv4 address")).getHostAddress();
    }

    /** The titles of the dashboard's panels whose queries (each must be valid PromQL) return no series. */
    private static List<String> emptyPanels(final JsonNode dashboard) throws Exception {
        final List<String> empty = new ArrayList<>();
        for (final JsonNode panel : dashboard.path("panels")) {
            int series = 0;
            for (final JsonNode t : panel.path("targets")) {
                series += promql(t.path("expr").asText().replace("$cluster", ".*")).size();
            }
            if (panel.has("targets") && series == 0) {
                empty.add(panel.path("title").asText());
            }
        }
        return empty;
    }

    private static Received find(final List<Received> received, final String status, final String node) {
        for (final Received r : received) {
            if (r.body().path("status").asText().equals(status)
                    && !rules(r.body(), node, status.toUpperCase()).isEmpty()) {
                return r;
            }
        }
        return null;
    }

    private static Set<String> rules(final JsonNode notification, final String node, final String status) {
        final Set<String> rules = new HashSet<>();
        notification.path("alerts").forEach(a -> {
            if (a.path("node").asText().equals(node) && a.path("status").asText().equals(status)) {
                rules.add(a.path("rule").asText());
            }
        });
        return rules;
    }

    private static String nodeState(final JsonNode cluster, final String node) {
        if (cluster == null) {
            return "";
        }
        for (final JsonNode n : cluster.path("nodes")) {
            if (n.path("node").asText().equals(node)) {
                return n.path("state").asText();
            }
        }
        return "";
    }

    private static List<JsonNode> promql(final String query) throws Exception {
        final JsonNode r = get("http://127.0.0.1:9090/api/v1/query?query="
                + URLEncoder.encode(query, StandardCharsets.UTF_8));
        assertThat(r).as("Prometheus answers %s", query).isNotNull();
        assertThat(r.path("status").asText()).as("%s: %s", query, r).isEqualTo("success");
        final List<JsonNode> out = new ArrayList<>();
        r.path("data").path("result").forEach(out::add);
        return out;
    }

    private static JsonNode get(final String url) {
        try {
            final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (final java.io.IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void log(final String format, final Object... args) {
        System.out.printf("ComposeIT %tT: %s%n", System.currentTimeMillis(), String.format(format, args));
    }

    private static double seconds(final long nanos) {
        return nanos / 1e9;
    }

    /** Every container's log into target/compose-logs, for a failed run. */
    private static void dumpLogs(final DockerClient docker, final String project) {
        try {
            final Path dir = Path.of("target/compose-logs");
            Files.createDirectories(dir);
            for (final var c : docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of("com.docker.compose.project", project)).exec()) {
                final String name = String.join("", c.getNames()).replace("/", "");
                final Process p = new ProcessBuilder(DockerCli.binary(), "logs", c.getId())
                        .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
                p.waitFor();
            }
            System.out.println("ComposeIT: container logs in " + dir.toAbsolutePath() + ": "
                    + Files.list(dir).map(Path::getFileName).map(Path::toString).collect(Collectors.joining(", ")));
        } catch (final Exception e) {
            System.out.println("ComposeIT: could not save container logs: " + e);
        }
    }
}
