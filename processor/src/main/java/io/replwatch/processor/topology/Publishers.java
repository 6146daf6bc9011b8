package io.replwatch.processor.topology;

import io.replwatch.avro.LagRate;
import io.replwatch.avro.SubscriptionRow;
import io.replwatch.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds, for a subscription on a subscriber, the logical slot it consumes on a publisher that replwatch also
 * watches (as any cluster, on any task or instance): the global store of replwatch.logical-consumers holds every
 * watched primary's latest figures per logical slot, keyed {@code slot\0cluster/node/slot}.
 *
 * <p>pg_monitor may not read a subscription's connection string, so the publisher is found by what both sides
 * see: the slot's name (the subscription's slot_name) and the WAL sender's application_name, which a subscription
 * sets to its own name. Slot names repeat across a fleet (a subscription's slot is named after it by default), so
 * a candidate streamed by a sender of another name is not taken, and two equal candidates are none: a lag that
 * might belong to another database is not reported. Figures older than {@code maxAgeMs} are not taken either.
 */
final class Publishers {

    private static final Logger LOG = LoggerFactory.getLogger(Publishers.class);
    private static final StringSerializer KEYS = new StringSerializer();

    /** No global store (unit tests of single stages): nothing is ever matched. */
    static final Publishers NONE = new Publishers(null, null, 0);

    private final ReadOnlyKeyValueStore<String, byte[]> store;
    private final Deserializer<LagRate> deserializer;
    private final long maxAgeMs;

    Publishers(final ReadOnlyKeyValueStore<String, byte[]> store, final Deserializer<LagRate> deserializer,
               final long maxAgeMs) {
        this.store = store;
        this.deserializer = deserializer;
        this.maxAgeMs = maxAgeMs;
    }

    /** The global store's key of a replwatch.logical-consumers record: its slot first, for the prefix scan. */
    static String storeKey(final String topicKey) {
        return topicKey.substring(topicKey.lastIndexOf('/') + 1) + '\u0000' + topicKey;
    }

    /** The topic key of a slot's record: {@code cluster/node/slot} (names carry no '/'). */
    static String topicKey(final String cluster, final String node, final String slot) {
        return cluster + '/' + node + '/' + slot;
    }

    /** The publisher's figures for this subscription, or null when none (or more than one) is found. */
    LagRate match(final String subscriberCluster, final SubscriptionRow sub, final long now) {
        if (store == null) {
            return null;
        }
        final String slot = sub.getSlotName() != null ? sub.getSlotName() : sub.getName();
        final List<LagRate> named = new ArrayList<>(1);
        final List<LagRate> unnamed = new ArrayList<>(1);
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(slot + '\u0000', KEYS)) {
            while (it.hasNext()) {
                final KeyValue<String, byte[]> kv = it.next();
                final LagRate l = decode(kv.value);
                if (l == null || l.getCluster().equals(subscriberCluster) || now - l.getAt().toEpochMilli() > maxAgeMs) {
                    continue;
                }
                if (sub.getName().equals(l.getConsumer())) {
                    named.add(l);
                } else if (l.getConsumer() == null) {
                    unnamed.add(l); // nothing streams the slot now: the subscriber may be the one that stopped
                }
            }
        }
        if (named.size() == 1) {
            return named.get(0);
        }
        return named.isEmpty() && unnamed.size() == 1 ? unnamed.get(0) : null;
    }

    private LagRate decode(final byte[] value) {
        try {
            return deserializer.deserialize(Topics.LOGICAL_CONSUMERS, value);
        } catch (final RuntimeException e) {
            // The registry down, or a record this version cannot read: no match this time, nothing else is lost.
            LOG.debug("Logical consumer record not decoded: {}", e.toString());
            return null;
        }
    }
}
