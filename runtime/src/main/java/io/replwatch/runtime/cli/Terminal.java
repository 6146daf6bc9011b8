package io.replwatch.runtime.cli;

import java.io.Console;
import java.lang.reflect.Method;

/**
 * Whether the command line may colour its output. Only on a terminal, and never when {@code NO_COLOR} is set
 * (no-color.org). Since Java 22 {@link System#console()} is not null when output is redirected, so "a console
 * exists" is not "a terminal": {@code Console.isTerminal()} says so where it exists. Piped or logged output
 * must carry no escape codes.
 */
public final class Terminal {

    private Terminal() {
    }

    /** For this process. */
    public static boolean colors() {
        return colors(System.console(), System.getenv("NO_COLOR"), System.getenv("TERM"));
    }

    static boolean colors(final Console console, final String noColor, final String term) {
        if (noColor != null && !noColor.isEmpty() || console == null || "dumb".equals(term)) {
            return false;
        }
        try {
            final Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (final ReflectiveOperationException e) {
            return true; // before Java 22 a console is only there on a terminal
        }
    }
}
