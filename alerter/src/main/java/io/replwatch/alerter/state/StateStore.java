package io.replwatch.alerter.state;

/**
 * Where the alerter keeps what must survive a restart (groups with their alerts and what was last notified,
 * silences). Writes are asynchronous; {@code onDurable} runs once the value is safely stored.
 */
public interface StateStore {

    /** Stores {@code json} under {@code key}; a null value deletes the key. */
    void put(String key, String json, Runnable onDurable);

    /** Keeps nothing, acknowledges at once: for tests and for the benchmark's in-process mode. */
    StateStore IN_MEMORY = (key, json, onDurable) -> onDurable.run();
}
