package io.replwatch.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compose project driven through the command line a user has: {@code docker compose} (v2) when the plugin is
 * installed, else {@code docker-compose} (v1, Debian's package). The project name is the test's own, so a
 * deployment a user runs beside it is not touched.
 */
final class Compose {

    private final Path file;
    private final String project;
    private final Map<String, String> env;
    private final List<String> command;

    Compose(final Path file, final String project, final Map<String, String> env) {
        this.file = file;
        this.project = project;
        this.env = env;
        this.command = v2() ? List.of(DockerCli.binary(), "compose") : List.of("docker-compose");
    }

    String project() {
        return project;
    }

    void up() throws IOException, InterruptedException {
        compose("up", "-d", "--no-build");
    }

    /** {@code down -v}: containers, the project's network and its volumes. */
    void down() throws IOException, InterruptedException {
        compose("down", "-v", "--remove-orphans", "--timeout", "10");
    }

    /**
     * Waits until every service's container reports healthy; returns, per service, the seconds from
     * {@code sinceNanos} to the first poll that saw it healthy.
     */
    Map<String, Double> awaitHealthy(final DockerClient docker, final List<String> services, final long sinceNanos,
                                     final Duration timeout) throws InterruptedException {
        final Map<String, Double> healthy = new TreeMap<>();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (healthy.size() < services.size()) {
            for (final String s : services) {
                if (!healthy.containsKey(s)) {
                    final String id = containerIdOrNull(docker, s);
                    if (id != null) {
                        final InspectContainerResponse.ContainerState st = docker.inspectContainerCmd(id).exec().getState();
                        if (st.getHealth() != null && "healthy".equals(st.getHealth().getStatus())) {
                            healthy.put(s, Math.round((System.nanoTime() - sinceNanos) / 1e8) / 10.0);
                        } else if (Boolean.FALSE.equals(st.getRunning()) && st.getExitCodeLong() != null
                                && st.getExitCodeLong() != 0) {
                            throw new AssertionError(s + " exited with status " + st.getExitCodeLong());
                        }
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                final List<String> waiting = new ArrayList<>(services);
                waiting.removeAll(healthy.keySet());
                throw new AssertionError("not healthy after " + timeout + ": " + waiting + " (healthy: " + healthy + ")");
            }
            Thread.sleep(500);
        }
        return healthy;
    }

    String containerId(final DockerClient docker, final String service) {
        final String id = containerIdOrNull(docker, service);
        if (id == null) {
            throw new AssertionError("no container for service " + service + " in project " + project);
        }
        return id;
    }

    private String containerIdOrNull(final DockerClient docker, final String service) {
        final List<Container> found = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("com.docker.compose.project", project, "com.docker.compose.service", service))
                .exec();
        return found.isEmpty() ? null : found.get(0).getId();
    }

    private void compose(final String... args) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("-p", project, "-f", file.toString()));
        cmd.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(cmd).directory(file.getParent().toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        final Process p = pb.start();
        final String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed with status " + p.exitValue() + ":\n" + out);
        }
    }

    /** Runs a command; its standard output, or an AssertionError with what it printed. */
    static String run(final List<String> cmd) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed with status " + p.exitValue() + ":\n" + out);
        }
        return out;
    }

    private static boolean v2() {
        try {
            final Process p = new ProcessBuilder(DockerCli.binary(), "compose", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (final IOException | InterruptedException e) {
            return false;
        }
    }
}
