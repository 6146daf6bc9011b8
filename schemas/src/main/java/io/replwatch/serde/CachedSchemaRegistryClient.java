package io.replwatch.serde;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * Caches a registry client both ways (subject + schema to id, id to schema) so that after the first record of
 * each schema the serde makes no HTTP call. Failures are not cached. Thread-safe.
 */
public final class CachedSchemaRegistryClient implements SchemaRegistryClient {

    private final SchemaRegistryClient delegate;
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    public CachedSchemaRegistryClient(final SchemaRegistryClient delegate) {
        this.delegate = delegate;
    }

    @Override
    public int register(final String subject, final Schema schema) {
        return idFor(subject, schema, true);
    }

    @Override
    public int lookup(final String subject, final Schema schema) {
        return idFor(subject, schema, false);
    }

    private int idFor(final String subject, final Schema schema, final boolean register) {
        final Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        final Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        // One registration per subject and schema even when many threads send their first record at once:
        // registries (Apicurio among them) may answer a concurrent duplicate registration with 409.
        final int id = ids.computeIfAbsent(schema,
                s -> register ? delegate.register(subject, s) : delegate.lookup(subject, s));
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public Schema getById(final int id) {
        final Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        final Schema schema = delegate.getById(id);
        schemasById.put(id, schema);
        return schema;
    }

    /** Not cached: "latest" changes when a new version is registered. */
    @Override
    public SchemaVersion latest(final String subject) {
        final SchemaVersion v = delegate.latest(subject);
        schemasById.putIfAbsent(v.id(), v.schema());
        return v;
    }

    public SchemaRegistryClient delegate() {
        return delegate;
    }

    @Override
    public void close() {
        delegate.close();
    }
}
