package io.replwatch.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Colour only on a terminal (issue 19: escape codes in piped output). */
class TerminalTest {

    @Test
    void noConsoleNoColorOrADumbTerminalMeanNoEscapeCodes() {
        assertThat(Terminal.colors(null, null, "xterm")).as("output redirected (no console before Java 22)").isFalse();
        assertThat(Terminal.colors(System.console(), "1", "xterm")).as("NO_COLOR").isFalse();
        assertThat(Terminal.colors(System.console(), null, "dumb")).as("TERM=dumb").isFalse();
        // Under the test runner output goes to a file: no colours, whatever the Java version.
        assertThat(Terminal.colors()).isFalse();
    }
}
