package io.replwatch.lake.config;

import io.replwatch.runtime.ops.OpsServer;
import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.lake.sink.Table;
import io.replwatch.lake.store.LakeStore;
import io.replwatch.lake.store.LocalStore;
import io.replwatch.lake.store.S3Store;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * The lake sink's configuration.
 *
 * <pre>
 * group_id: replwatch-lake
 * http_port: 9191                   # /metrics, /health; 0 = any
 * http_bind: 127.0.0.1               # the listener's address (0.0.0.0 in a container)
 * kafka: {bootstrap.servers: kafka:9092}
 * schema_registry: {url: http://registry:8081}
 * tables: [samples, rollups]        # default both
 * output:
 *   type: local                     # or s3
 *   path: /var/lib/replwatch/lake   # local
 *   # s3: bucket (required), prefix, region (us-east-1), endpoint (for MinIO, Ceph ...), path_style (false),
 *   #     staging (a local directory, default the temp dir); credentials from the environment
 *   #     (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, IAM roles), never from this file
 * roll: {max_rows: 1000000, max_bytes: 128MiB, max_age: 10m, max_open_files: 64}
 *                                   # a batch is published when any is reached; each open file holds a
 *                                   # Parquet row group in memory, so max_open_files bounds the heap
 * layout: auto                     # date: <table>/date=<d>/, a file per Kafka partition and day holding every
 *                                   # cluster; cluster_date: <table>/cluster=<c>/date=<d>/, a file per cluster and
 *                                   # day (only for fleets narrower than max_open_files clusters per partition);
 *                                   # auto (default): cluster_date for a table that already has it, else date
 * compression: zstd                 # zstd, snappy, gzip, none
 * threads: 2                        # consumers in the group, each writing its own partitions (default: cores)
 * </pre>
 */
public record LakeConfig(
        String groupId,
        int httpPort,
        String httpBind,
        Map<String, String> kafka,
        Map<String, String> registry,
        List<Table> tables,
        Output output,
        long maxRows,
        long maxBytes,
        Duration maxAge,
        int maxOpenFiles,
        Layout layout,
        CompressionCodecName codec,
        int threads) {

    /** How a table's files are partitioned into directories. */
    public enum Layout {
        /** {@link #CLUSTER_DATE} for a table whose lake already has files in that layout, {@link #DATE} otherwise. */
        AUTO,
        /** {@code <table>/cluster=<cluster>/date=<YYYY-MM-DD>/}: a file per cluster and day per batch. */
        CLUSTER_DATE,
        /** {@code <table>/date=<YYYY-MM-DD>/}: a file per day per batch, every cluster's rows in it. */
        DATE
    }

    /** Where files go. */
    public record Output(String type, Path path, String bucket, String prefix, String region, URI endpoint,
                         boolean pathStyle, Path staging) {

        public LakeStore open() throws IOException {
            return type.equals("s3")
                    ? new S3Store(endpoint, region, bucket, prefix, pathStyle, staging, null)
                    : new LocalStore(path);
        }
    }

    public static LakeConfig load(final Path file) {
        return from(ConfigNode.load(file, System::getenv));
    }

    public static LakeConfig parse(final String yaml, final Function<String, String> env) {
        return from(ConfigNode.parse(yaml, "(inline)", env));
    }

    public static LakeConfig from(final ConfigNode root) {
        root.allowOnly(Set.of("group_id", "http_port", "http_bind", "kafka", "schema_registry", "tables", "output", "roll",
                "layout", "compression", "threads"));
        final String group = root.string("group_id", "replwatch-lake");
        final int port = root.integer("http_port", 9191, 0, 65535);
        final String bind = OpsServer.BIND.read(root);
        final ConfigNode.KafkaSections k = root.kafkaSections();
        final List<Table> tables = new ArrayList<>();
        final List<String> names = root.has("tables") ? root.stringList("tables") : List.of("samples", "rollups");
        for (final String n : names) {
            switch (n) {
                case "samples" -> tables.add(Table.SAMPLES);
                case "rollups" -> tables.add(Table.ROLLUPS);
                default -> root.problem("tables", "unknown table '" + n + "' (known: samples, rollups)");
            }
        }
        final ConfigNode o = root.child("output");
        o.allowOnly(Set.of("type", "path", "bucket", "prefix", "region", "endpoint", "path_style", "staging"));
        final String type = o.string("type", "local");
        Path path = null;
        String bucket = null;
        URI endpoint = null;
        switch (type) {
            case "local" -> {
                final String p = o.requiredString("path");
                path = p == null ? null : Path.of(p);
            }
            case "s3" -> {
                bucket = o.requiredString("bucket");
                final String e = o.string("endpoint", null);
                if (e != null) {
                    try {
                        endpoint = URI.create(e);
                        if (endpoint.getScheme() == null || endpoint.getHost() == null) {
                            o.problem("endpoint", "must be a URL such as http://minio:9000");
                        }
                    } catch (final IllegalArgumentException ex) {
                        o.problem("endpoint", "is not a URL");
                    }
                }
            }
            default -> o.problem("type", "must be local or s3 (got '" + type + "')");
        }
        final ConfigNode roll = root.child("roll");
        roll.allowOnly(Set.of("max_rows", "max_bytes", "max_age", "max_open_files"));
        final int maxOpen = roll.integer("max_open_files", 64, 1, 100_000);
        final long maxRows = roll.integer("max_rows", 1_000_000, 1, Integer.MAX_VALUE);
        final long maxBytes = bytes(roll, "max_bytes", 128L * 1024 * 1024);
        final Duration maxAge = roll.duration("max_age", Duration.ofMinutes(10), Duration.ofMillis(100));
        final Layout layout = root.choice("layout", "auto", orderedMap("auto", Layout.AUTO, "date", Layout.DATE,
                "cluster_date", Layout.CLUSTER_DATE));
        final CompressionCodecName codec = root.choice("compression", "zstd", orderedMap("zstd", CompressionCodecName.ZSTD,
                "snappy", CompressionCodecName.SNAPPY, "gzip", CompressionCodecName.GZIP,
                "none", CompressionCodecName.UNCOMPRESSED));
        final int threads = root.integer("threads", Runtime.getRuntime().availableProcessors(), 1, 256);
        final Output out = new Output(type, path, bucket, o.string("prefix", ""), o.string("region", "us-east-1"),
                endpoint, o.bool("path_style", false),
                Path.of(o.string("staging", Path.of(System.getProperty("java.io.tmpdir"), "replwatch-lake-staging").toString())));
        root.throwIfProblems();
        return new LakeConfig(group, port, bind, k.kafka(), k.registry(), tables, out, maxRows, maxBytes, maxAge, maxOpen,
                layout, codec, threads);
    }

    /** Keys and values in the order given (the order a choice's error names them). */
    private static <T> Map<String, T> orderedMap(final Object... keysAndValues) {
        final Map<String, T> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            @SuppressWarnings("unchecked")
            final T v = (T) keysAndValues[i + 1];
            m.put((String) keysAndValues[i], v);
        }
        return m;
    }

    private static long bytes(final ConfigNode n, final String key, final long dflt) {
        final String v = n.string(key, null);
        if (v == null) {
            return dflt;
        }
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)^\\s*(\\d+)\\s*(b|kib|kb|mib|mb|gib|gb)?\\s*$").matcher(v);
        if (!m.matches()) {
            n.problem(key, "must be a size such as 128MiB (got '" + v + "')");
            return dflt;
        }
        final long x = Long.parseLong(m.group(1));
        final String u = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        return x * switch (u) {
            case "kib", "kb" -> 1024L;
            case "mib", "mb" -> 1024L * 1024;
            case "gib", "gb" -> 1024L * 1024 * 1024;
            default -> 1L;
        };
    }
}
