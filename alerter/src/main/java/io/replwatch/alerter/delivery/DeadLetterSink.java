package io.replwatch.alerter.delivery;

import io.replwatch.avro.DeadLetter;

/** Where undeliverable notifications and undecodable transitions go. {@code onDurable} runs once stored. */
public interface DeadLetterSink {

    void send(String key, DeadLetter letter, Runnable onDurable);
}
