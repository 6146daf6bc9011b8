package io.replwatch.lake.sink;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.avro.generic.GenericData;
import org.apache.parquet.HadoopFreeReadOptions;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.MessageType;

/**
 * Reads the rows of a local Parquet file into Avro records without Hadoop. Parquet's {@code ParquetReader} holds
 * Hadoop's {@code Path} and {@code PathFilter} and cannot be loaded without the Hadoop jars; this is the loop it runs
 * (footer, row groups, record assembly through parquet-avro's read support), over {@link LocalInputFile} and
 * {@link LakeCodecs}.
 */
public final class ParquetRows {

    private ParquetRows() {
    }

    /** Every row of {@code file}, in order, as records of {@code model} (specific classes when the model knows them). */
    public static <T> long read(final Path file, final GenericData model, final Consumer<? super T> rows)
            throws IOException {
        final ParquetConfiguration conf = new PlainParquetConfiguration();
        // parquet-avro's current record converter (lists as java.util.List, as the generated classes declare them), the
        // one AvroParquetReader uses
        conf.setBoolean(AvroReadSupport.AVRO_COMPATIBILITY, false);
        final ParquetReadOptions options = HadoopFreeReadOptions.of(conf, LakeCodecs.INSTANCE);
        long n = 0;
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), options)) {
            final MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            final Map<String, String> meta = reader.getFooter().getFileMetaData().getKeyValueMetaData();
            final AvroReadSupport<T> support = new AvroReadSupport<>(model);
            final ReadSupport.ReadContext context = support.init(conf, meta, schema);
            final RecordMaterializer<T> materializer = support.prepareForRead(conf, meta, schema, context);
            final MessageColumnIO columns = new ColumnIOFactory(reader.getFooter().getFileMetaData().getCreatedBy())
                    .getColumnIO(context.getRequestedSchema(), schema, true);
            for (PageReadStore group = reader.readNextRowGroup(); group != null; group = reader.readNextRowGroup()) {
                final RecordReader<T> records = columns.getRecordReader(group, materializer);
                for (long i = 0; i < group.getRowCount(); i++) {
                    rows.accept(records.read());
                    n++;
                }
            }
        }
        return n;
    }
}
