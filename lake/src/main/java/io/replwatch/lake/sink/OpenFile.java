package io.replwatch.lake.sink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.apache.avro.generic.IndexedRecord;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;

/**
 * One Parquet file being written in staging: rows of one table, Hive partition and Kafka partition. Rows go through
 * the table's {@link TableWriter} (compiled once per table) into a {@link ColumnFile}, pages through
 * {@link LakeCodecs}: no Hadoop class is loaded on this path.
 */
final class OpenFile {

    private static final Map<Table, TableWriter> COMPILED = new EnumMap<>(Table.class);

    private static synchronized TableWriter compiled(final Table table) {
        return COMPILED.computeIfAbsent(table, t -> new TableWriter(t.schema, t.clusterField, t.timeField));
    }

    /** The table's transcoder: payloads of its own schema go to Parquet without a record in between. */
    static Transcoder transcoder(final Table table) {
        return compiled(table).transcoder();
    }

    /** Parquet's default row group size (ParquetWriter.DEFAULT_BLOCK_SIZE): the sink's files are rolled before it. */
    static final long ROW_GROUP_BYTES = 128L * 1024 * 1024;

    /** Fields whose value changes with every sample: a clock, a sequence number, a WAL position. */
    private static final java.util.Set<String> EVERY_SAMPLE = java.util.Set.of("sequence", "sampled_at", "server_time",
            "reply_time", "last_msg_send_at", "last_msg_receipt_at", "latest_end_at");

    /**
     * The columns written without a dictionary: a dictionary of values that never repeat only grows until Parquet
     * gives it up for the page (checked on every value: the sink's largest single cost after the decoding was gone,
     * JFR), and saves nothing in the file.
     */
    static java.util.List<String> changingEverySample(final org.apache.parquet.schema.MessageType schema) {
        return schema.getColumns().stream().map(c -> c.getPath()).filter(p -> {
            final String leaf = p[p.length - 1];
            return leaf.endsWith("_lsn") || EVERY_SAMPLE.contains(leaf);
        }).map(p -> String.join(".", p)).toList();
    }

    final String dir;
    final Path staging;
    private final TableWriter table;
    private final Transcoder transcoder;
    private final ColumnFile file;
    private final Transcoder.Cursor cursor = new Transcoder.Cursor();

    OpenFile(final Table table, final String dir, final Path stagingDir, final String topic, final int partition,
             final long firstOffset, final CompressionCodecName codec) throws IOException {
        this(table, dir, stagingDir, topic, partition, firstOffset, codec, ROW_GROUP_BYTES);
    }

    OpenFile(final Table table, final String dir, final Path stagingDir, final String topic, final int partition,
             final long firstOffset, final CompressionCodecName codec, final long rowGroupBytes) throws IOException {
        this.dir = dir;
        Files.createDirectories(stagingDir);
        this.staging = Files.createTempFile(stagingDir, topic + "+" + partition + "+" + firstOffset + "-", ".parquet");
        this.table = compiled(table);
        this.transcoder = this.table.transcoder();
        final ParquetProperties.Builder props = ParquetProperties.builder()
                // Per-page and per-chunk size histograms (Parquet 1.14's SizeStatistics): a cost on every value (3 % of
                // the sink, JFR) for what query planners of this lake's size do not use; min/max statistics stay.
                .withSizeStatisticsEnabled(false);
        if (!Boolean.getBoolean("bench.dictionaryEverywhere")) {
            for (final String column : changingEverySample(this.table.parquetSchema())) {
                props.withDictionaryEncoding(column, false);
            }
        }
        this.file = new ColumnFile(new LocalOutputFile(staging), this.table.parquetSchema(), this.table.metadata(),
                props.build(), LakeCodecs.INSTANCE.getCompressor(codec), rowGroupBytes);
    }

    void write(final IndexedRecord r) throws IOException {
        table.write(file.records(), r);
        file.endRecord();
    }

    /** Writes the row of a payload the table's {@link Transcoder#check} passed. */
    void write(final byte[] payload, final int offset, final int length) throws IOException {
        transcoder.write(cursor.reset(payload, offset, length), file.columns());
        file.endRow();
    }

    long bytes() {
        return file.dataSize();
    }

    int rowGroups() {
        return file.rowGroups();
    }

    void close() throws IOException {
        file.close();
    }

    void discard() {
        try {
            file.abort();
        } catch (final IOException | RuntimeException e) {
            // being thrown away
        }
        try {
            Files.deleteIfExists(staging);
        } catch (final IOException e) {
            // a temp file
        }
    }
}
