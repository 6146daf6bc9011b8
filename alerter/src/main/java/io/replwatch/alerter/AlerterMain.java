package io.replwatch.alerter;

import io.replwatch.alerter.cli.AlerterCommand;
import picocli.CommandLine;

/** Standalone entry point of the alerter (container images): {@code --config FILE}. */
public final class AlerterMain {

    private AlerterMain() {
    }

    public static void main(final String[] args) {
        System.exit(new CommandLine(new AlerterCommand())
                .setColorScheme(CommandLine.Help.defaultColorScheme(io.replwatch.runtime.cli.Terminal.colors()
                        ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF)).execute(args));
    }
}
