package io.replwatch.lake.store;

import java.nio.file.Files;
import java.nio.file.Path;

/** Publishes one staged file into a {@link LocalStore} at {@code args[0]} under key {@code args[1]}, then exits. */
public final class PublishOnce {

    private PublishOnce() {
    }

    public static void main(final String[] args) throws Exception {
        final LocalStore store = new LocalStore(Path.of(args[0]));
        final Path staged = store.staging().resolve("staged.parquet");
        Files.writeString(staged, "PAR1 rows PAR1");
        store.publish(staged, args[1]);
    }
}
