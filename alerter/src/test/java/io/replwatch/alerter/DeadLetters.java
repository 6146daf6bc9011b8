package io.replwatch.alerter;

import static org.awaitility.Awaitility.await;

import io.replwatch.avro.DeadLetter;
import io.replwatch.schemas.TopicReader;
import io.replwatch.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/** Reads replwatch.dead-letter from the beginning, for the ITs (through the shared {@link TopicReader}). */
final class DeadLetters {

    private DeadLetters() {
    }

    /** The dead letters that match once {@code n} of them arrived, or what arrived within {@code timeout}. */
    static List<DeadLetter> read(final String bootstrap, final String registry, final int n,
                                 final Predicate<DeadLetter> which, final Duration timeout) {
        final TopicReader<DeadLetter> reader = TopicReader.follow(bootstrap, registry, Topics.DEAD_LETTER, DeadLetter.class);
        try {
            await().atMost(timeout).until(() -> reader.records().stream().filter(which).count() >= n);
        } catch (final ConditionTimeoutException e) {
            // The callers assert on what arrived.
        } finally {
            try {
                reader.close();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return reader.records().stream().filter(which).toList();
    }
}
