package io.replwatch.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.replwatch.processor.metrics.ReplicationGauges;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The shipped Grafana dashboard against what Grafana requires of a provisioned dashboard (uid, title, schemaVersion,
 * panels with unique ids, a type, a title and a gridPos inside the 24-column grid; targets with unique refIds and
 * an expression), against the provisioning files (the datasource uid every panel names; the path compose mounts),
 * and against the processor: every metric a panel queries is one the processor exports. ComposeIT runs every
 * query against a real Prometheus scraping a real processor.
 */
class GrafanaDashboardTest {

    private static final Path ROOT = Path.of(System.getProperty("replwatch.root", "..")).toAbsolutePath().normalize();
    private static final Path GRAFANA = ROOT.resolve("deploy/grafana");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> PANEL_TYPES = Set.of("row", "stat", "timeseries", "state-timeline", "table",
            "bargauge", "gauge");
    private static final Pattern METRIC = Pattern.compile("\\b(replwatch_[a-z_]+)\\b");

    private static JsonNode dashboard() throws Exception {
        return JSON.readTree(GRAFANA.resolve("dashboards/replwatch-fleet.json").toFile());
    }

    @Test
    void dashboardHasWhatGrafanaRequires() throws Exception {
        final JsonNode d = dashboard();
        assertThat(d.path("uid").asText()).isNotBlank().hasSizeLessThanOrEqualTo(40).matches("[a-zA-Z0-9_-]+");
        assertThat(d.path("title").asText()).isNotBlank();
        assertThat(d.path("schemaVersion").isInt()).isTrue();
        assertThat(d.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        assertThat(d.path("panels").size()).isGreaterThan(5);
        final Set<Integer> ids = new HashSet<>();
        for (final JsonNode p : d.path("panels")) {
            final String title = p.path("title").asText();
            assertThat(title).isNotBlank();
            assertThat(ids.add(p.path("id").asInt())).as("%s: unique id", title).isTrue();
            assertThat(PANEL_TYPES).as("%s: type", title).contains(p.path("type").asText());
            final JsonNode g = p.path("gridPos");
            for (final String f : List.of("h", "w", "x", "y")) {
                assertThat(g.path(f).isInt()).as("%s: gridPos.%s", title, f).isTrue();
            }
            assertThat(g.path("w").asInt()).isBetween(1, 24);
            assertThat(g.path("x").asInt() + g.path("w").asInt()).as("%s inside the grid", title).isLessThanOrEqualTo(24);
            assertThat(g.path("h").asInt()).isPositive();
            if (!p.path("type").asText().equals("row")) {
                assertThat(p.path("targets").size()).as("%s: targets", title).isPositive();
                final Set<String> refs = new HashSet<>();
                p.path("targets").forEach(t -> {
                    assertThat(refs.add(t.path("refId").asText())).as("%s: unique refId", title).isTrue();
                    assertThat(t.path("expr").asText()).as("%s: expr", title).isNotBlank();
                });
            }
        }
    }

    @Test
    void panelsQueryTheProvisionedDatasourceAndTheClusterVariable() throws Exception {
        final JsonNode ds = YAML.readTree(GRAFANA.resolve("provisioning/datasources/replwatch.yml").toFile())
                .path("datasources").get(0);
        final String uid = ds.path("uid").asText();
        assertThat(ds.path("type").asText()).isEqualTo("prometheus");
        assertThat(ds.path("url").asText()).as("the compose Prometheus").isEqualTo("http://prometheus:9090");
        final JsonNode d = dashboard();
        final JsonNode cluster = d.path("templating").path("list").get(0);
        assertThat(cluster.path("name").asText()).isEqualTo("cluster");
        assertThat(cluster.path("datasource").path("uid").asText()).isEqualTo(uid);
        for (final JsonNode p : d.path("panels")) {
            if (p.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(p.path("datasource").path("uid").asText()).as(p.path("title").asText()).isEqualTo(uid);
            p.path("targets").forEach(t -> {
                assertThat(t.path("datasource").path("uid").asText()).isEqualTo(uid);
                assertThat(t.path("expr").asText()).as("%s filters by $cluster", p.path("title").asText())
                        .contains("cluster=~\"$cluster\"");
            });
        }
        final JsonNode provider = YAML.readTree(GRAFANA.resolve("provisioning/dashboards/replwatch.yml").toFile())
                .path("providers").get(0);
        final JsonNode grafana = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile()).path("services")
                .path("grafana");
        assertThat(grafana.path("volumes").toString())
                .contains("./deploy/grafana/dashboards:" + provider.path("options").path("path").asText())
                .contains("./deploy/grafana/provisioning:/etc/grafana/provisioning");
    }

    @Test
    void everyQueriedMetricIsOneTheProcessorExports() throws Exception {
        final Set<String> exported = new HashSet<>(new ReplicationGauges(() -> { }).getPrometheusNames());
        final Set<String> queried = new HashSet<>();
        for (final JsonNode p : dashboard().path("panels")) {
            p.path("targets").forEach(t -> {
                final Matcher m = METRIC.matcher(t.path("expr").asText());
                while (m.find()) {
                    queried.add(m.group(1));
                }
            });
        }
        assertThat(queried).hasSizeGreaterThan(6);
        assertThat(exported).containsAll(queried);
    }
}
