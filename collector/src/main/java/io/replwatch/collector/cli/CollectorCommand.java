package io.replwatch.collector.cli;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.collector.CollectorService;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.collector.config.NodeConfig;
import io.replwatch.collector.poll.NodePoller;
import io.replwatch.runtime.config.InvalidConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replwatch collector --config FILE [--check]}. */
@Command(name = "collector", mixinStandardHelpOptions = true,
        description = "Poll PostgreSQL nodes and publish one Avro sample per node per poll to Kafka.")
public final class CollectorCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "YAML configuration file.")
    Path config;

    @Option(names = "--check", description = "Validate the configuration, try each node once, print a table, exit.")
    boolean check;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        final PrintWriter out = spec.commandLine().getOut();
        final CollectorConfig cfg;
        try {
            cfg = CollectorConfig.load(config);
        } catch (final InvalidConfigException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        if (check) {
            return check(cfg, out);
        }
        final CountDownLatch stop = new CountDownLatch(1);
        final CollectorService service = new CollectorService(cfg).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stop.countDown();
        }, "replwatch-shutdown"));
        out.printf("collector %s: %d nodes every %s; metrics on :%d/metrics%n", cfg.collectorId(), cfg.nodes().size(),
                io.replwatch.runtime.config.Durations.format(cfg.pollInterval()), service.httpPort());
        out.flush();
        stop.await();
        return 0;
    }

    /** One poll per node; prints reachability, role, version and whether monitoring rights suffice. */
    static int check(final CollectorConfig cfg, final PrintWriter out) {
        out.printf("%-20s %-20s %-10s %-8s %-8s %-11s %s%n", "CLUSTER", "NODE", "REACHABLE", "ROLE", "VERSION",
                "PERMISSION", "MESSAGE");
        int bad = 0;
        for (final NodeConfig n : cfg.nodes()) {
            try (NodePoller p = new NodePoller(n, cfg.collectorId(), cfg.connectTimeout(), cfg.statementTimeout(),
                    cfg.settingsRefresh(), System::currentTimeMillis)) {
                final ReplicationSample s = p.poll();
                final boolean reached = s.getStatus() == PollStatus.OK || s.getStatus() == PollStatus.PERMISSION_DENIED;
                final String role = s.getInRecovery() == null ? "-" : s.getInRecovery() ? "standby" : "primary";
                final String version = s.getServerVersionNum() == null ? "-"
                        : s.getServerVersionNum() / 10000 + "." + s.getServerVersionNum() % 100;
                final String perm = !reached ? "-" : s.getStatus() == PollStatus.OK ? "pg_monitor" : "MISSING";
                if (s.getStatus() != PollStatus.OK) {
                    bad++;
                }
                out.printf("%-20s %-20s %-10s %-8s %-8s %-11s %s%n", n.cluster(), n.name(), reached ? "yes" : "NO",
                        role, version, perm, s.getMessage() == null ? "" : s.getMessage());
            }
        }
        out.flush();
        return bad == 0 ? 0 : 1;
    }
}
