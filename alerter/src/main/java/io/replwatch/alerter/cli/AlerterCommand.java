package io.replwatch.alerter.cli;

import io.replwatch.alerter.AlerterService;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.runtime.config.InvalidConfigException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replwatch alerter --config FILE [--check]}. */
@Command(name = "alerter", mixinStandardHelpOptions = true,
        description = "Route health transitions to webhook, Slack, Teams, Discord, PagerDuty, Alertmanager and console receivers.")
public final class AlerterCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "YAML configuration file.")
    Path config;

    @Option(names = "--check", description = "Validate the configuration and exit (0 valid, 2 invalid).")
    boolean check;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        final AlerterConfig cfg;
        try {
            cfg = AlerterConfig.from(ConfigNode.load(config, System::getenv), System.out);
        } catch (final InvalidConfigException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        if (check) {
            spec.commandLine().getOut().printf("%s: valid (%d receiver(s), %d route(s))%n", config,
                    cfg.receivers().size(), cfg.route().flatten().size());
            return 0;
        }
        final CountDownLatch stop = new CountDownLatch(1);
        final AlerterService service = new AlerterService(cfg).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stop.countDown();
        }, "replwatch-shutdown"));
        spec.commandLine().getOut().printf("alerter %s: API and metrics on :%d%n", cfg.groupId(), service.httpPort());
        spec.commandLine().getOut().flush();
        stop.await();
        return 0;
    }
}
