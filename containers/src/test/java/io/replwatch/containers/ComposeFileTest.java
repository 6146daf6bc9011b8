package io.replwatch.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.collector.config.NodeConfig;
import io.replwatch.lake.config.LakeConfig;
import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.processor.config.ProcessorConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml checked without Docker (ComposeIT starts it for real in -Pchaos): every file it references
 * exists, every image it names is one deploy/images/build.sh builds or stands in for, every replwatch service runs
 * a main class that exists on the port compose publishes, every service's config file validates with the
 * variables its service defines, and the hosts, ports and passwords in those configs agree with the services
 * that provide them. Every published port is on loopback.
 */
class ComposeFileTest {

    private static final Path ROOT = Path.of(System.getProperty("replwatch.root", "..")).toAbsolutePath().normalize();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static JsonNode compose() throws Exception {
        return YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
    }

    private static Map<String, String> env(final JsonNode service) {
        final Map<String, String> env = new HashMap<>();
        service.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(),
                e.getValue().asText().replaceAll("^\\$\\{[A-Z_]+:-(.*)}$", "$1")));
        return env;
    }

    private static Path mounted(final JsonNode service, final String target) {
        for (final JsonNode v : service.path("volumes")) {
            final String[] parts = v.asText().split(":");
            if (parts[1].equals(target)) {
                return ROOT.resolve(parts[0]).normalize();
            }
        }
        throw new AssertionError("nothing mounted at " + target);
    }

    private static Set<Integer> containerPorts(final JsonNode service) {
        final Set<Integer> ports = new HashSet<>();
        service.path("ports").forEach(p -> ports.add(Integer.parseInt(p.asText().replaceAll(".*:", ""))));
        return ports;
    }

    @Test
    void everyReferencedFileExistsAndEveryDependencyIsAService() throws Exception {
        final JsonNode c = compose();
        final Set<String> services = new HashSet<>();
        c.path("services").fieldNames().forEachRemaining(services::add);
        assertThat(services).contains("kafka", "schema-registry", "postgres-primary", "postgres-standby", "collector",
                "processor", "alerter", "lake", "prometheus", "grafana");
        c.path("services").fields().forEachRemaining(e -> {
            final JsonNode s = e.getValue();
            s.path("volumes").forEach(v -> {
                final String src = v.asText().split(":")[0];
                if (src.startsWith(".")) {
                    assertThat(ROOT.resolve(src)).as("%s mounts %s", e.getKey(), src).exists();
                }
            });
            s.path("depends_on").fieldNames().forEachRemaining(d -> assertThat(services).as("%s depends on", e.getKey())
                    .contains(d));
            assertThat(s.has("image")).as("%s names an image (deploy/images/build.sh builds replwatch's)", e.getKey())
                .isTrue();
        });
    }

    /** deploy/images/build.sh --list: the images it builds (replwatch's) or stands in for (public ones). */
    static List<String> buildScriptImages() throws Exception {
        final Process p = new ProcessBuilder("bash", ROOT.resolve("deploy/images/build.sh").toString(), "--list")
                .redirectErrorStream(true).start();
        final List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
        assertThat(p.waitFor()).as("build.sh --list: %s", lines).isZero();
        return lines;
    }

    @Test
    void everyImageIsBuiltOrStoodInForAndEveryPortIsOnLoopback() throws Exception {
        final List<String> built = buildScriptImages();
        compose().path("services").fields().forEachRemaining(e -> {
            final JsonNode s = e.getValue();
            final String image = s.path("image").asText().replace("${REPLWATCH_VERSION:-latest}", "latest");
            if (s.path("profiles").isEmpty()) {
                assertThat(image.startsWith("replwatch/") ? image.replace(":latest", ":") : image)
                        .as("%s's image", e.getKey())
                        .matches(i -> built.stream().anyMatch(b -> b.equals(i) || (i.endsWith(":") && b.startsWith(i))),
                                "is in build.sh --list " + built);
            }
            s.path("ports").forEach(p -> assertThat(p.asText()).as("%s publishes", e.getKey()).startsWith("127.0.0.1:"));
        });
    }

    @Test
    void serviceImagesRunMainsThatExistOnTheComposePort() throws Exception {
        final String script = Files.readString(ROOT.resolve("deploy/images/build.sh"));
        final JsonNode services = compose().path("services");
        for (final String svc : List.of("collector", "processor", "alerter", "lake")) {
            final Matcher m = Pattern.compile("\"" + svc + " (io\\.replwatch\\.[A-Za-z.]+Main) (\\d+)\"").matcher(script);
            assertThat(m.find()).as("build.sh names %s's main class and port", svc).isTrue();
            assertThat(Class.forName(m.group(1)).getMethod("main", String[].class)).isNotNull();
            final JsonNode s = services.path(svc);
            assertThat(containerPorts(s)).as(svc + " ports").contains(Integer.parseInt(m.group(2)));
            assertThat(mounted(s, "/etc/replwatch/config.yaml")).exists();
        }
        assertThat(Files.readString(ROOT.resolve("deploy/images/service/Dockerfile")))
                .contains("HEALTHCHECK").contains("/health").contains("USER 10001")
                .contains("CMD [\"--config\", \"/etc/replwatch/config.yaml\"]");
    }

    @Test
    void serviceConfigsValidateAndAgreeWithTheServices() throws Exception {
        final JsonNode services = compose().path("services");
        final String kafkaAdvertised = services.path("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText();
        final int registryPort = containerPorts(services.path("schema-registry")).iterator().next();

        final JsonNode collectorSvc = services.path("collector");
        final Function<String, String> collectorEnv = env(collectorSvc)::get;
        final CollectorConfig collector = CollectorConfig.from(ConfigNode.load(
                mounted(collectorSvc, "/etc/replwatch/config.yaml"), collectorEnv));
        checkKafka(collector.kafka(), collector.registry(), kafkaAdvertised, registryPort);
        assertThat(containerPorts(collectorSvc)).contains(collector.httpPort());
        final Map<String, String> primaryEnv = env(services.path("postgres-primary"));
        for (final NodeConfig n : collector.nodes()) {
            assertThat(services.has(n.host())).as("collector node host %s is a service", n.host()).isTrue();
            assertThat(n.port()).isEqualTo(5432);
            assertThat(n.user()).isEqualTo("monitor");
            assertThat(n.password()).as("the monitor password the primary's init script creates")
                    .isEqualTo(primaryEnv.get("MONITOR_PASSWORD"));
        }
        assertThat(Files.readString(ROOT.resolve("deploy/compose/postgres/primary-init.sh")))
                .contains("CREATE ROLE monitor").contains("${MONITOR_PASSWORD}").contains("pg_monitor")
                .contains("CREATE ROLE replicator").contains("pg_create_physical_replication_slot('standby')");
        assertThat(Files.readString(ROOT.resolve("deploy/compose/postgres/standby-entrypoint.sh")))
                .contains("-S standby").contains("$PRIMARY_HOST");
        assertThat(env(services.path("postgres-standby")).get("PRIMARY_HOST")).isEqualTo("postgres-primary");
        assertThat(env(services.path("postgres-standby")).get("REPLICATOR_PASSWORD"))
                .isEqualTo(primaryEnv.get("REPLICATOR_PASSWORD"));

        final JsonNode processorSvc = services.path("processor");
        final ProcessorConfig processor = ProcessorConfig.from(ConfigNode.load(
                mounted(processorSvc, "/etc/replwatch/config.yaml"), env(processorSvc)::get));
        checkKafka(processor.kafka(), processor.registry(), kafkaAdvertised, registryPort);
        assertThat(containerPorts(processorSvc)).contains(processor.httpPort());
        assertThat(URI.create(processor.advertisedUrl()).getHost()).isEqualTo("processor");

        final JsonNode alerterSvc = services.path("alerter");
        final AlerterConfig alerter = AlerterConfig.from(ConfigNode.load(
                mounted(alerterSvc, "/etc/replwatch/config.yaml"), env(alerterSvc)::get), System.out);
        checkKafka(alerter.kafka(), alerter.registry(), kafkaAdvertised, registryPort);
        assertThat(containerPorts(alerterSvc)).contains(alerter.httpPort());

        final JsonNode lakeSvc = services.path("lake");
        final LakeConfig lake = LakeConfig.from(ConfigNode.load(
                mounted(lakeSvc, "/etc/replwatch/config.yaml"), env(lakeSvc)::get));
        checkKafka(lake.kafka(), lake.registry(), kafkaAdvertised, registryPort);
        assertThat(containerPorts(lakeSvc)).contains(lake.httpPort());
        assertThat(lake.output().path().toString()).as("the lake writes inside its volume")
                .startsWith(volumeTarget(lakeSvc, "lake-data"));

        // Prometheus scrapes every replwatch service on its own port.
        final String prometheus = Files.readString(mounted(services.path("prometheus"), "/etc/prometheus/prometheus.yml"));
        assertThat(prometheus).contains("collector:" + collector.httpPort()).contains("alerter:" + alerter.httpPort())
                .contains("lake:" + lake.httpPort()).contains("names: [processor]")
                .contains("port: " + processor.httpPort());
    }

    private static String volumeTarget(final JsonNode service, final String volume) {
        for (final JsonNode v : service.path("volumes")) {
            final String[] parts = v.asText().split(":");
            if (parts[0].equals(volume)) {
                return parts[1];
            }
        }
        throw new AssertionError("volume " + volume + " not mounted");
    }

    private static void checkKafka(final Map<String, String> kafka, final Map<String, String> registry,
                                   final String advertised, final int registryPort) {
        assertThat(advertised).contains("PLAINTEXT://" + kafka.get("bootstrap.servers"));
        final URI r = URI.create(registry.get("schema.registry.url"));
        assertThat(r.getHost()).isEqualTo("schema-registry");
        assertThat(r.getPort()).isEqualTo(registryPort);
        assertThat(r.getPath()).isEqualTo("/apis/ccompat/v7");
    }
}
