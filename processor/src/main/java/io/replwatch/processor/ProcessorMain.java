package io.replwatch.processor;

import io.replwatch.processor.cli.ProcessorCommand;
import picocli.CommandLine;

/** Standalone entry point of the processor (container images, benchmarks): {@code --config FILE}. */
public final class ProcessorMain {

    private ProcessorMain() {
    }

    public static void main(final String[] args) {
        System.exit(new CommandLine(new ProcessorCommand())
                .setColorScheme(CommandLine.Help.defaultColorScheme(io.replwatch.runtime.cli.Terminal.colors()
                        ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF)).execute(args));
    }
}
