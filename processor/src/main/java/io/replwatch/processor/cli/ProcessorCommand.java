package io.replwatch.processor.cli;

import io.replwatch.runtime.config.InvalidConfigException;
import io.replwatch.processor.ProcessorService;
import io.replwatch.processor.config.ProcessorConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replwatch processor --config FILE [--check]}. */
@Command(name = "processor", mixinStandardHelpOptions = true,
        description = "Run the Kafka Streams topology: WAL throughput, lag rates, health transitions, health API.")
public final class ProcessorCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "YAML configuration file.")
    Path config;

    @Option(names = "--check", description = "Validate the configuration, print what it sets, exit 0 (or 2 with every problem).")
    boolean check;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        final ProcessorConfig cfg;
        try {
            cfg = ProcessorConfig.load(config);
        } catch (final InvalidConfigException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        if (check) {
            spec.commandLine().getOut().printf("%s: valid; application %s, %d stream thread(s), %s state, Kafka %s%n",
                    config, cfg.applicationId(), cfg.streamThreads(), cfg.stateStore().name().toLowerCase(java.util.Locale.ROOT),
                    cfg.kafka().get("bootstrap.servers"));
            spec.commandLine().getOut().flush();
            return 0;
        }
        final CountDownLatch stop = new CountDownLatch(1);
        final ProcessorService service = new ProcessorService(cfg).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stop.countDown();
        }, "replwatch-shutdown"));
        spec.commandLine().getOut().printf("processor %s: API and metrics on :%d%n", cfg.applicationId(),
                service.httpPort());
        spec.commandLine().getOut().flush();
        stop.await();
        return 0;
    }
}
