package io.replwatch.lake.cli;

import io.replwatch.runtime.config.InvalidConfigException;
import io.replwatch.lake.LakeService;
import io.replwatch.lake.config.LakeConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replwatch lake --config FILE [--check]}. */
@Command(name = "lake", mixinStandardHelpOptions = true,
        description = "Write samples and capacity rollups to Parquet, partitioned by date (or by cluster and date) in a local directory or S3.")
public final class LakeCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "YAML configuration file.")
    Path config;

    @Option(names = "--check", description = "Validate the configuration, print what it sets, exit 0 (or 2 with every problem).")
    boolean check;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final LakeConfig cfg;
        try {
            cfg = LakeConfig.load(config);
        } catch (final InvalidConfigException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        if (check) {
            spec.commandLine().getOut().printf("%s: valid; group %s, output %s, Kafka %s%n", config, cfg.groupId(),
                    cfg.output().type(), cfg.kafka().get("bootstrap.servers"));
            spec.commandLine().getOut().flush();
            return 0;
        }
        final CountDownLatch stop = new CountDownLatch(1);
        final LakeService service = new LakeService(cfg).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stop.countDown();
        }, "replwatch-shutdown"));
        spec.commandLine().getOut().printf("lake %s: writing to %s; metrics on :%d%n", cfg.groupId(), service.lake(),
                service.httpPort());
        spec.commandLine().getOut().flush();
        stop.await();
        return 0;
    }
}
