package io.replwatch.lake;

import io.replwatch.lake.cli.LakeCommand;
import picocli.CommandLine;

/** Standalone entry point of the lake sink: {@code --config FILE}. */
public final class LakeMain {

    private LakeMain() {
    }

    public static void main(final String[] args) {
        System.exit(new CommandLine(new LakeCommand())
                .setColorScheme(CommandLine.Help.defaultColorScheme(io.replwatch.runtime.cli.Terminal.colors()
                        ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF)).execute(args));
    }
}
