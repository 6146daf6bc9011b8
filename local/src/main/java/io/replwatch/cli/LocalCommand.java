package io.replwatch.cli;

import io.replwatch.runtime.config.InvalidConfigException;
import io.replwatch.local.LocalRun;
import io.replwatch.local.Scenarios;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replwatch local [--scenario NAME] [--duration D] [--config FILE]}. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"The whole pipeline on this machine, with a live status page and scripted faults.",
                "Kafka, schema registry, PostgreSQL primary + standbys, collector, processor, alerter (console)",
                "and the status page; Ctrl-C stops it all.",
                "Scenarios: demo, replay-stall, standby-down, link-cut, failover, slot-bloat."})
public final class LocalCommand implements Callable<Integer> {

    @Option(names = "--scenario", paramLabel = "NAME", description = "Scripted faults to run once up: ${COMPLETION-CANDIDATES}.",
            completionCandidates = ScenarioNames.class)
    String scenario;

    @Option(names = "--duration", paramLabel = "D", description = "Stop after this long (90s, 5m); default: until Ctrl-C.")
    Duration duration;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Watch a real fleet (a collector config) instead of the sandbox's PostgreSQL; Kafka and the registry stay local.")
    Path config;

    @Option(names = "--standbys", defaultValue = "2", description = "Standbys of the sandbox primary (default 2).")
    int standbys;

    @Option(names = "--port", defaultValue = "9190", description = "Status page port on 127.0.0.1 (default 9190; 0 = any).")
    int port;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The scenario names, for --help. */
    static final class ScenarioNames extends java.util.ArrayList<String> {
        ScenarioNames() {
            super(Scenarios.ALL.keySet());
        }
    }

    /**
     * The console tells the story (URLs, scenario steps, transitions, notifications); the services' own INFO
     * logging and the Kafka clients' start-up chatter would bury it. REPLWATCH_LOG_LEVEL brings them back.
     */
    private static void quietLogs() {
        if (System.getenv("REPLWATCH_LOG_LEVEL") != null) {
            return;
        }
        final org.slf4j.Logger root = org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.WARN);
        }
        final org.slf4j.Logger kafka = org.slf4j.LoggerFactory.getLogger("org.apache.kafka");
        if (kafka instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }

    @Override
    public Integer call() throws Exception {
        if (scenario != null && !Scenarios.ALL.containsKey(scenario)) {
            spec.commandLine().getErr().println("Unknown scenario '" + scenario + "'. Known:");
            Scenarios.ALL.forEach((k, v) -> spec.commandLine().getErr().printf("  %-13s %s%n", k, v));
            return 2;
        }
        if (scenario != null && config != null) {
            spec.commandLine().getErr().println("--scenario acts on the sandbox's PostgreSQL; it cannot run with --config");
            return 2;
        }
        quietLogs();
        final LocalRun run = new LocalRun(new LocalRun.Options(scenario, config, standbys, port, System.out));
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(() -> {
            System.out.println("\nreplwatch local: stopping...");
            run.close();
            stopped.countDown();
        }, "replwatch-local-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            run.start();
        } catch (final InvalidConfigException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        if (duration != null) {
            if (!stopped.await(duration.toMillis(), TimeUnit.MILLISECONDS)) {
                Runtime.getRuntime().removeShutdownHook(hook);
                System.out.println("\nreplwatch local: --duration " + duration.toSeconds() + "s reached; stopping.");
                run.close();
                System.out.println("replwatch local: stopped.");
            }
            return 0;
        }
        stopped.await();
        return 0;
    }
}
