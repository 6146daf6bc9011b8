package io.replwatch.processor.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.junit.jupiter.api.Test;

/** The hash store answers like Kafka Streams' sorted in-memory store wherever the interface promises an order. */
class HashKeyValueStoreTest {

    private static Bytes b(final String s) {
        return Bytes.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String s(final Bytes b) {
        return new String(b.get(), StandardCharsets.UTF_8);
    }

    private static List<String> keys(final KeyValueIterator<Bytes, byte[]> it) {
        final List<String> out = new ArrayList<>();
        try (it) {
            while (it.hasNext()) {
                out.add(s(it.next().key));
            }
        }
        return out;
    }

    private static HashKeyValueStore filled() {
        final HashKeyValueStore store = new HashKeyValueStore("t");
        for (final String k : List.of("c2/n1", "c1/n2", "c10/n1", "c1/n1", "c1\u0000" + "0005", "c1\u0000" + "0001")) {
            store.put(b(k), k.getBytes(StandardCharsets.UTF_8));
        }
        return store;
    }

    @Test
    void putGetDeleteAndATombstone() {
        final HashKeyValueStore store = filled();
        assertThat(store.get(b("c1/n1"))).isEqualTo("c1/n1".getBytes(StandardCharsets.UTF_8));
        assertThat(store.approximateNumEntries()).isEqualTo(6);
        store.put(b("c1/n1"), new byte[] {7});
        assertThat(store.get(b("c1/n1"))).containsExactly(7);
        assertThat(store.putIfAbsent(b("c1/n1"), new byte[] {8})).containsExactly(7);
        assertThat(store.putIfAbsent(b("new"), new byte[] {9})).isNull();
        assertThat(store.get(b("new"))).containsExactly(9);
        assertThat(store.delete(b("new"))).containsExactly(9);
        store.put(b("c1/n1"), null);
        assertThat(store.get(b("c1/n1"))).isNull();
        store.putAll(List.of(KeyValue.pair(b("x"), new byte[] {1}), KeyValue.pair(b("c2/n1"), null)));
        assertThat(store.get(b("x"))).containsExactly(1);
        assertThat(store.get(b("c2/n1"))).isNull();
    }

    @Test
    void allHasEveryKeyOnceAndIsASnapshot() {
        final HashKeyValueStore store = filled();
        final KeyValueIterator<Bytes, byte[]> it = store.all();
        store.put(b("later"), new byte[] {1});
        store.delete(b("c1/n2"));
        final List<String> seen = keys(it);
        assertThat(seen).hasSize(6);
        assertThat(new HashSet<>(seen)).isEqualTo(Set.of("c2/n1", "c1/n2", "c10/n1", "c1/n1", "c1\u00000005", "c1\u00000001"));
    }

    @Test
    void rangesAndPrefixScansAreInByteOrder() {
        final HashKeyValueStore store = filled();
        assertThat(keys(store.prefixScan("c1\u0000", new StringSerializer()))).containsExactly("c1\u00000001", "c1\u00000005");
        assertThat(keys(store.prefixScan("c1/", new StringSerializer()))).containsExactly("c1/n1", "c1/n2");
        assertThat(keys(store.range(b("c1/n2"), b("c2/n1")))).containsExactly("c1/n2", "c10/n1", "c2/n1");
        assertThat(keys(store.reverseRange(b("c1/n2"), b("c2/n1")))).containsExactly("c2/n1", "c10/n1", "c1/n2");
        final KeyValueIterator<Bytes, byte[]> it = store.range(b("c1/n1"), b("c1/n2"));
        assertThat(s(it.peekNextKey())).isEqualTo("c1/n1");
        assertThat(s(it.next().key)).isEqualTo("c1/n1");
        assertThat(s(it.next().key)).isEqualTo("c1/n2");
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(java.util.NoSuchElementException.class);
    }

    @Test
    void closeForgetsEverything() {
        final HashKeyValueStore store = filled();
        store.close();
        assertThat(store.isOpen()).isFalse();
        assertThat(store.approximateNumEntries()).isZero();
        assertThat(store.persistent()).isFalse();
    }
}
