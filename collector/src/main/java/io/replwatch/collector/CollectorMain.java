package io.replwatch.collector;

import io.replwatch.collector.cli.CollectorCommand;
import picocli.CommandLine;

/** Standalone entry point of the collector (container images, benchmarks): {@code --config FILE [--check]}. */
public final class CollectorMain {

    private CollectorMain() {
    }

    public static void main(final String[] args) {
        System.exit(new CommandLine(new CollectorCommand())
                .setColorScheme(CommandLine.Help.defaultColorScheme(io.replwatch.runtime.cli.Terminal.colors()
                        ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF)).execute(args));
    }
}
