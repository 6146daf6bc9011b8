package io.replwatch.lake.sink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.apache.avro.generic.IndexedRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;

/**
 * One Parquet file being written in staging: rows of one table, Hive partition and Kafka partition. Rows go through
 * the lake's {@link DirectWriteSupport} (compiled once per table) and pages through {@link LakeCodecs}: no Hadoop
 * class is loaded on this path.
 */
final class OpenFile {

    private static final Map<Table, DirectWriteSupport> COMPILED = new EnumMap<>(Table.class);

    private static synchronized DirectWriteSupport compiled(final Table table) {
        return COMPILED.computeIfAbsent(table, t -> new DirectWriteSupport(t.schema, t.clusterField, t.timeField));
    }

    /** The table's transcoder: payloads of its own schema go to Parquet without a record in between. */
    static Transcoder transcoder(final Table table) {
        return compiled(table).transcoder();
    }

    /** A writer builder for a write support the lake already made (the builder's Hadoop overload is never called). */
    private static final class Builder extends ParquetWriter.Builder<Object, Builder> {
        private final DirectWriteSupport support;

        Builder(final OutputFile file, final DirectWriteSupport support) {
            super(file);
            this.support = support;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Object> getWriteSupport(final Configuration conf) {
            return support;
        }

        @Override
        protected WriteSupport<Object> getWriteSupport(final ParquetConfiguration conf) {
            return support;
        }
    }

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
    private final ParquetWriter<Object> writer;
    private final Transcoder.Cursor cursor = new Transcoder.Cursor();

    OpenFile(final Table table, final String dir, final Path stagingDir, final String topic, final int partition,
             final long firstOffset, final CompressionCodecName codec) throws IOException {
        this.dir = dir;
        Files.createDirectories(stagingDir);
        this.staging = Files.createTempFile(stagingDir, topic + "+" + partition + "+" + firstOffset + "-", ".parquet");
        final DirectWriteSupport support = compiled(table).forWriter();
        final Builder builder = new Builder(new LocalOutputFile(staging), support);
        if (!Boolean.getBoolean("bench.dictionaryEverywhere")) {
            for (final String column : changingEverySample(support.parquetSchema())) {
                builder.withDictionaryEncoding(column, false);
            }
        }
        this.writer = builder
                .withConf(new PlainParquetConfiguration())
                .withCompressionCodec(codec)
                .withCodecFactory(LakeCodecs.INSTANCE)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
    }

    void write(final IndexedRecord r) throws IOException {
        writer.write(r);
    }

    /** Writes the row of a payload the table's {@link Transcoder#check} passed. */
    void write(final byte[] payload, final int offset, final int length) throws IOException {
        writer.write(cursor.reset(payload, offset, length));
    }

    long bytes() {
        return writer.getDataSize();
    }

    void close() throws IOException {
        writer.close();
    }

    void discard() {
        try {
            writer.close();
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
