package io.replwatch.processor.topology;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Keeps the global store of replwatch.logical-consumers: a record replaces its slot's, a tombstone removes it. */
final class LogicalConsumersLoader implements Processor<String, byte[], Void, Void> {

    private KeyValueStore<String, byte[]> store;

    @Override
    public void init(final ProcessorContext<Void, Void> context) {
        store = context.getStateStore(Names.LOGICAL_CONSUMERS_STORE);
    }

    @Override
    public void process(final Record<String, byte[]> record) {
        if (record.key() == null || record.key().indexOf('/') < 0) {
            return; // not a key this topology writes
        }
        final String key = Publishers.storeKey(record.key());
        if (record.value() == null) {
            store.delete(key);
        } else {
            store.put(key, record.value());
        }
    }
}
