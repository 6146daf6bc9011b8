package io.replwatch.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the real `replwatch` command line in-process, capturing what it prints, for the CLI tests. */
public final class Cli {

    /** Exit status and what went to stdout and stderr. */
    public record Run(int exit, String out, String err) {
    }

    private Cli() {
    }

    public static Run run(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }
}
