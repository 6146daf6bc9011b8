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
        return COMPILED.computeIfAbsent(table, t -> new DirectWriteSupport(t.schema));
    }

    /** A writer builder for a write support the lake already made (the builder's Hadoop overload is never called). */
    private static final class Builder extends ParquetWriter.Builder<IndexedRecord, Builder> {
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
        protected WriteSupport<IndexedRecord> getWriteSupport(final Configuration conf) {
            return support;
        }

        @Override
        protected WriteSupport<IndexedRecord> getWriteSupport(final ParquetConfiguration conf) {
            return support;
        }
    }

    final String dir;
    final Path staging;
    private final ParquetWriter<IndexedRecord> writer;

    OpenFile(final Table table, final String dir, final Path stagingDir, final String topic, final int partition,
             final long firstOffset, final CompressionCodecName codec) throws IOException {
        this.dir = dir;
        Files.createDirectories(stagingDir);
        this.staging = Files.createTempFile(stagingDir, topic + "+" + partition + "+" + firstOffset + "-", ".parquet");
        this.writer = new Builder(new LocalOutputFile(staging), compiled(table).forWriter())
                .withConf(new PlainParquetConfiguration())
                .withCompressionCodec(codec)
                .withCodecFactory(LakeCodecs.INSTANCE)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
    }

    void write(final IndexedRecord r) throws IOException {
        writer.write(r);
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
