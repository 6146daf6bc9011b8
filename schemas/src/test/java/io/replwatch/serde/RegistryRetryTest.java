package io.replwatch.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** A registry that is down is waited out; bytes that cannot be decoded are not (issue 17). */
class RegistryRetryTest {

    private static SerializationException down() {
        return new SerializationException("Cannot fetch schema id 7", new RegistryException("no answer", 0, 0, null));
    }

    @Test
    void aRegistryThatCannotBeReachedIsWaitedOut() {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger waits = new AtomicInteger();
        final String v = RegistryRetry.whileUnavailable(() -> {
            if (calls.incrementAndGet() < 3) {
                throw down();
            }
            return "decoded";
        }, () -> true, e -> waits.incrementAndGet());
        assertThat(v).isEqualTo("decoded");
        assertThat(waits).hasValue(2);
    }

    @Test
    void undecodableBytesAndUnknownIdsAreNotRetried() {
        final AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> RegistryRetry.whileUnavailable(() -> {
            calls.incrementAndGet();
            throw new SerializationException("Unknown magic byte 0x7B");
        }, () -> true, e -> { })).hasMessageContaining("magic");
        assertThatThrownBy(() -> RegistryRetry.whileUnavailable(() -> {
            calls.incrementAndGet();
            throw new SerializationException("Unknown schema id 99", new RegistryException("404", 404, 40403, null));
        }, () -> true, e -> { })).hasMessageContaining("99");
        assertThat(calls).hasValue(2);
        assertThat(RegistryException.isRetriable(new RegistryException("503", 503, 0, null))).isTrue();
        assertThat(RegistryException.isRetriable(new RegistryException("429", 429, 0, null))).isTrue();
        assertThat(RegistryException.isRetriable(new RegistryException("409", 409, 409, null))).isFalse();
    }

    @Test
    void stoppingEndsTheWait() {
        assertThatThrownBy(() -> RegistryRetry.whileUnavailable(() -> {
            throw down();
        }, () -> false, e -> { })).isInstanceOf(SerializationException.class);
    }
}
