package io.replwatch.processor.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LegacyStateSerdeTest {

    private static byte[] json(final Object o) {
        try {
            return LegacyStateSerde.JSON.writeValueAsBytes(o);
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void writesSmileAndStillReadsStateWrittenAsJson() {
        final LegacyStateSerde<NodeState> serde = new LegacyStateSerde<>(NodeState.class);
        final NodeState ns = new NodeState();
        ns.cluster = "orders";
        ns.node = "pg-2";
        ns.lastSampleAt = 42L;
        ns.rollup.lastWal = 123_456L;
        final byte[] smile = serde.serializer().serialize("t", ns);
        assertThat(new String(smile, 0, 3, StandardCharsets.ISO_8859_1)).isEqualTo(":)\n");
        final NodeState back = serde.deserializer().deserialize("t", smile);
        assertThat(back.cluster).isEqualTo("orders");
        assertThat(back.rollup.lastWal).isEqualTo(123_456L);
        // A changelog written by the JSON version of this serde.
        final byte[] json = "{\"cluster\":\"orders\",\"node\":\"pg-2\",\"lastSampleAt\":42,\"someFutureField\":1}"
                .getBytes(StandardCharsets.UTF_8);
        final NodeState old = serde.deserializer().deserialize("t", json);
        assertThat(old.node).isEqualTo("pg-2");
        assertThat(old.lastSampleAt).isEqualTo(42L);
        assertThat(smile.length).isLessThan(json(ns).length);
    }
}
