package io.replwatch.cli;

import io.replwatch.collector.cli.CollectorCommand;
import io.replwatch.alerter.cli.AlerterCommand;
import io.replwatch.lake.cli.CapacityCommand;
import io.replwatch.lake.cli.LakeCommand;
import io.replwatch.processor.cli.ProcessorCommand;
import io.replwatch.sandbox.cli.SandboxCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code replwatch} command: wires subcommands, nothing else. */
@Command(name = "replwatch", mixinStandardHelpOptions = true, version = "replwatch 0.1.0",
        description = "Watch PostgreSQL streaming replication across a fleet, through Kafka.",
        subcommands = {SandboxCommand.class, CollectorCommand.class, ProcessorCommand.class, AlerterCommand.class, LocalCommand.class,
                LakeCommand.class, CapacityCommand.class, TailCommand.class, FailoverCheckCommand.class,
                TargetsCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(final String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setColorScheme(CommandLine.Help.defaultColorScheme(io.replwatch.runtime.cli.Terminal.colors()
                        ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF))
                .registerConverter(java.time.Duration.class, io.replwatch.runtime.config.Durations::parse)
                .setExecutionExceptionHandler(SandboxCommand.errorHandler())
                .setParameterExceptionHandler((ex, a) -> {
                    ex.getCommandLine().getErr().println("error: " + ex.getMessage());
                    ex.getCommandLine().usage(ex.getCommandLine().getErr());
                    return 2;
                });
    }
}
