package io.replwatch.processor.cli;

import io.replwatch.common.InvalidConfigException;
import io.replwatch.processor.ProcessorService;
import io.replwatch.processor.config.ProcessorConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replwatch processor --config FILE}. */
@Command(name = "processor", mixinStandardHelpOptions = true,
        description = "Run the Kafka Streams topology: WAL throughput, lag rates, health transitions, health API.")
public final class ProcessorCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "YAML configuration file.")
    Path config;

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
