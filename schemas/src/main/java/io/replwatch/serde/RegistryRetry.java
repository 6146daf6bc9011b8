package io.replwatch.serde;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Encoding or decoding that waits out a schema registry that cannot be reached, for consumers that must not
 * dead-letter (or drop) a good record only because its schema is not cached yet and the registry is down.
 */
public final class RegistryRetry {

    private RegistryRetry() {
    }

    /**
     * Runs {@code call}; while it fails because the registry is unavailable ({@link RegistryException#isRetriable}),
     * reports the failure to {@code onWait}, sleeps (0.5 s doubling to 10 s) and tries again, as long as
     * {@code keepTrying} holds. Any other failure, or one after {@code keepTrying} turned false, is thrown.
     */
    public static <T> T whileUnavailable(final Supplier<T> call, final BooleanSupplier keepTrying,
                                         final Consumer<RuntimeException> onWait) {
        long backoff = 500;
        while (true) {
            try {
                return call.get();
            } catch (final RuntimeException e) {
                if (!keepTrying.getAsBoolean() || !RegistryException.isRetriable(e)) {
                    throw e;
                }
                onWait.accept(e);
                try {
                    Thread.sleep(backoff);
                } catch (final InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = Math.min(backoff * 2, 10_000);
            }
        }
    }
}
