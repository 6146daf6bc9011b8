package io.replwatch.local;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What {@code replwatch local} prints, kept for the test's assertions and passed on to the test's own output. */
final class ConsoleCapture {

    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(new OutputStream() {
        @Override
        public void write(final int b) {
            synchronized (buf) {
                buf.write(b);
            }
            System.out.write(b);
        }

        @Override
        public void write(final byte[] b, final int off, final int len) {
            synchronized (buf) {
                buf.write(b, off, len);
            }
            System.out.write(b, off, len);
        }
    }, true, StandardCharsets.UTF_8);

    /** Everything printed so far. */
    String text() {
        synchronized (buf) {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }
}
