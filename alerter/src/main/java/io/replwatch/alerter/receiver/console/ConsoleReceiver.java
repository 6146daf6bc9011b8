package io.replwatch.alerter.receiver.console;

import io.replwatch.alerter.receiver.Attempt;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.Receiver;
import io.replwatch.alerter.receiver.ReceiverSettings;
import java.io.PrintStream;

/**
 * Prints notifications for local use ({@code ./replwatch local}): the title, then each line of the text,
 * indented. Always delivered.
 */
public final class ConsoleReceiver implements Receiver {

    private final ReceiverSettings settings;
    private final PrintStream out;

    public ConsoleReceiver(final ReceiverSettings settings, final PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    /** The text printed for a notification. */
    public String render(final Notification n) {
        final StringBuilder b = new StringBuilder();
        b.append(n.createdAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)).append("  ").append(settings.templates().title(n)).append('\n');
        for (final String line : settings.templates().text(n).split("\n")) {
            if (!line.isBlank()) {
                b.append("    ").append(line).append('\n');
            }
        }
        return b.toString();
    }

    @Override
    public Attempt send(final Notification n) {
        synchronized (out) {
            out.print(render(n));
            out.flush();
        }
        return Attempt.delivered(200);
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String type() {
        return "console";
    }

    @Override
    public boolean sendResolved() {
        return settings.sendResolved();
    }
}
