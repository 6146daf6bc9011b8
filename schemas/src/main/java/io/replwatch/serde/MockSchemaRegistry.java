package io.replwatch.serde;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * In-memory registries for unit tests, one per {@code mock://scope}, behaving like Confluent's: ids are global
 * within a scope, re-registering the same schema returns its id, a new version must be BACKWARD compatible
 * with the latest (409 otherwise), and unknown subjects or ids answer 404 with error codes 40401 / 40403.
 */
public final class MockSchemaRegistry implements SchemaRegistryClient {

    private static final Map<String, MockSchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private final String scope;
    private final Map<String, List<SchemaVersion>> subjects = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<Schema, Integer> idBySchema = new ConcurrentHashMap<>();

    private MockSchemaRegistry(final String scope) {
        this.scope = scope;
    }

    /** The registry of {@code scope}, created on first use. */
    public static MockSchemaRegistry scope(final String scope) {
        return SCOPES.computeIfAbsent(scope, MockSchemaRegistry::new);
    }

    /** Forgets a scope, so that the next test starts empty. */
    public static void drop(final String scope) {
        SCOPES.remove(scope);
    }

    @Override
    public synchronized int register(final String subject, final Schema schema) {
        final List<SchemaVersion> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
        for (final SchemaVersion v : versions) {
            if (v.schema().equals(schema)) {
                return v.id();
            }
        }
        if (!versions.isEmpty()) {
            final Schema latest = versions.get(versions.size() - 1).schema();
            final SchemaCompatibility.SchemaPairCompatibility compat =
                    SchemaCompatibility.checkReaderWriterCompatibility(schema, latest);
            if (compat.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new RegistryException("Schema registry mock://" + scope + " answered 409 trying to register "
                        + "schema under subject '" + subject + "': Schema being registered is incompatible with an"
                        + " earlier schema: " + compat.getDescription(), 409, 409, null);
            }
        }
        final int id = idBySchema.computeIfAbsent(schema, s -> {
            final int next = byId.size() + 1;
            byId.put(next, s);
            return next;
        });
        versions.add(new SchemaVersion(subject, versions.size() + 1, id, schema));
        return id;
    }

    @Override
    public synchronized int lookup(final String subject, final Schema schema) {
        final List<SchemaVersion> versions = subjects.get(subject);
        if (versions == null) {
            throw notFound("subject '" + subject + "' not found", 40401);
        }
        return versions.stream().filter(v -> v.schema().equals(schema)).findFirst()
                .orElseThrow(() -> notFound("schema not found under subject '" + subject + "'", 40403))
                .id();
    }

    @Override
    public Schema getById(final int id) {
        final Schema s = byId.get(id);
        if (s == null) {
            throw notFound("schema id " + id + " not found", 40403);
        }
        return s;
    }

    @Override
    public synchronized SchemaVersion latest(final String subject) {
        final List<SchemaVersion> versions = subjects.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw notFound("subject '" + subject + "' not found", 40401);
        }
        return versions.get(versions.size() - 1);
    }

    private RegistryException notFound(final String what, final int code) {
        return new RegistryException("Schema registry mock://" + scope + " answered 404 (error_code " + code + "): "
                + what, 404, code, null);
    }
}
