package io.replwatch.serde;

import org.apache.avro.Schema;

/**
 * The part of Confluent's schema-registry REST API that the serde needs.
 *
 * <p>Implementations are thread-safe. Failures surface as {@link RegistryException}, whose message names the
 * registry URL with any credentials removed and quotes the registry's own error message.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /** Registers {@code schema} under {@code subject} (or finds it already registered) and returns its global id. */
    int register(String subject, Schema schema);

    /** The id of {@code schema} if it is already registered under {@code subject}; never registers. */
    int lookup(String subject, Schema schema);

    /** The schema with global id {@code id}. */
    Schema getById(int id);

    /** The newest version registered under {@code subject}. */
    SchemaVersion latest(String subject);

    /** A registered schema version. */
    record SchemaVersion(String subject, int version, int id, Schema schema) {
    }

    @Override
    default void close() {
    }
}
