package io.replwatch.lake.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where finished Parquet files go. A file becomes visible whole or not at all: {@link #publish} is a rename on
 * a local filesystem and a single PUT on S3 (both atomic), so readers never see half a file.
 */
public interface LakeStore extends AutoCloseable {

    /** Publishes a finished local file under {@code key} (a relative path like {@code samples/cluster=a/...}). */
    void publish(Path file, String key) throws IOException;

    /** Removes a published file (recovery removes what an interrupted batch left). */
    void delete(String key) throws IOException;

    /** Keys under a prefix (recursively). */
    List<String> list(String prefix) throws IOException;

    /**
     * Whether any data file's key starts with {@code keyPrefix} (a plain string prefix, as S3 matches keys: {@code
     * samples/cluster=} finds files of the cluster_date layout). The default lists the prefix's directory.
     */
    default boolean anyKeyStartingWith(final String keyPrefix) throws IOException {
        final int slash = keyPrefix.lastIndexOf('/');
        for (final String key : list(slash < 0 ? "" : keyPrefix.substring(0, slash + 1))) {
            if (key.startsWith(keyPrefix)) {
                return true;
            }
        }
        return false;
    }

    /** A local directory where files are written before they are published. */
    Path staging();

    /** For messages: where the lake is (no credentials). */
    String describe();

    @Override
    default void close() {
    }
}
