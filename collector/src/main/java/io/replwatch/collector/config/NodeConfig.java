package io.replwatch.collector.config;

import java.util.Map;

/**
 * One PostgreSQL node to poll. {@code password} is resolved (from the file when {@code password_file} was
 * given) and never printed: {@link #toString()} leaves it out.
 */
public record NodeConfig(
        String cluster,
        String name,
        String host,
        int port,
        String database,
        String user,
        String password,
        String sslmode,
        String sslrootcert,
        String sslcert,
        String sslkey,
        Map<String, String> labels) {

    /** {@code host:port/database} for messages: no credentials. */
    public String address() {
        return host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return cluster + "/" + name + " (" + user + "@" + address() + ")";
    }
}
