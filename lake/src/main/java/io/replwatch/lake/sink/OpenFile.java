package io.replwatch.lake.sink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;

/** One Parquet file being written in staging: rows of one table, Hive partition and Kafka partition. */
final class OpenFile {

    final String dir;
    final Path staging;
    private final ParquetWriter<SpecificRecord> writer;

    OpenFile(final Table table, final String dir, final Path stagingDir, final String topic, final int partition,
             final long firstOffset, final CompressionCodecName codec) throws IOException {
        this.dir = dir;
        Files.createDirectories(stagingDir);
        this.staging = Files.createTempFile(stagingDir, topic + "+" + partition + "+" + firstOffset + "-", ".parquet");
        final SpecificData model = new SpecificData();
        model.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.TimestampMillisConversion());
        this.writer = AvroParquetWriter.<SpecificRecord>builder(new LocalOutputFile(staging))
                .withSchema(table.schema)
                .withDataModel(model)
                .withConf(new PlainParquetConfiguration())
                .withCompressionCodec(codec)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
    }

    void write(final SpecificRecord r) throws IOException {
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
