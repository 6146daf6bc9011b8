package io.replwatch.lake.sink;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * A Parquet file written a column value at a time: row groups, pages and footer through Parquet's own file, page and
 * column writers (the loop {@code ParquetWriter} runs), without its record layer in between. Parquet's record
 * shredding ({@code MessageColumnIO}'s consumer) tracks fields written, caches nulls per absent group in a hash map
 * and flushes them later; the sink's profile spent a fifth of its time there. The {@link Transcoder} already knows
 * every column's levels, so it writes values and nulls to the column writers itself.
 *
 * <p>Rows come either way: as column values ({@link #columns()}, then {@link #endRow()}), or as a record through
 * Parquet's shredding ({@link #records()}, then {@link #endRecord()}), which is flushed after every record so that
 * no null it cached lands after a later row's values.
 */
final class ColumnFile implements AutoCloseable {

    private final ParquetFileWriter file;
    private final MessageType schema;
    private final List<ColumnDescriptor> descriptors;
    private final Map<String, String> metadata;
    private final ParquetProperties props;
    private final BytesInputCompressor compressor;
    private final long rowGroupBytes;
    private final MessageColumnIO columnIO;

    private ColumnChunkPageWriteStore pages;
    private ColumnWriteStore store;
    private ColumnWriter[] columns;
    private RecordConsumer records;
    private long rows;
    private long nextSizeCheck;
    private long lastRowGroupEnd;
    private int rowGroups;
    private boolean closed;

    /**
     * @param rowGroupBytes the buffered size at which a row group is written out (approximate, checked every few rows
     *                      as Parquet's own writer does)
     */
    ColumnFile(final OutputFile out, final MessageType schema, final Map<String, String> metadata,
               final ParquetProperties props, final BytesInputCompressor compressor, final long rowGroupBytes)
            throws IOException {
        this.schema = schema;
        this.descriptors = schema.getColumns();
        this.metadata = metadata;
        this.props = props;
        this.compressor = compressor;
        this.rowGroupBytes = rowGroupBytes;
        this.columnIO = new ColumnIOFactory(false).getColumnIO(schema);
        this.file = new ParquetFileWriter(out, schema, ParquetFileWriter.Mode.OVERWRITE, rowGroupBytes, 0, null, props);
        file.start();
        open();
    }

    private void open() {
        pages = ColumnChunkPageWriteStore.builder()
                .withCompressorProvider(c -> compressor)
                .withSchema(schema)
                .withAllocator(props.getAllocator())
                .withColumnIndexTruncateLength(props.getColumnIndexTruncateLength())
                .withPageWriteChecksumEnabled(props.getPageWriteChecksumEnabled())
                .withRowGroupOrdinal(rowGroups)
                .build();
        store = props.newColumnWriteStore(schema, pages, pages);
        columns = new ColumnWriter[descriptors.size()];
        for (int i = 0; i < columns.length; i++) {
            columns[i] = store.getColumnWriter(descriptors.get(i));
        }
        records = null;
        nextSizeCheck = props.getMinRowCountForPageSizeCheck();
    }

    /** The current row group's column writers, in the order of {@link MessageType#getColumns()}. */
    ColumnWriter[] columns() {
        return columns;
    }

    /** Ends a row whose values went to {@link #columns()}. */
    void endRow() throws IOException {
        store.endRecord();
        rowDone();
    }

    /** A record consumer over the current row group's columns; each record ends with {@link #endRecord()}. */
    RecordConsumer records() {
        if (records == null) {
            records = columnIO.getRecordWriter(store);
        }
        return records;
    }

    /** Ends a record written (a whole message, ended) to {@link #records()}. */
    void endRecord() throws IOException {
        records.flush();
        rowDone();
    }

    private void rowDone() throws IOException {
        rows++;
        if (rows >= props.getRowGroupRowCountLimit()) {
            writeRowGroup();
            open();
        } else if (rows >= nextSizeCheck) {
            final long buffered = store.getBufferedSize();
            final long perRow = Math.max(1, buffered / rows);
            if (buffered > rowGroupBytes - 2 * perRow) {
                writeRowGroup();
                open();
            } else {
                // Halfway to the estimated end of the row group, and never more than Parquet's maximum ahead.
                nextSizeCheck = Math.min(Math.max(props.getMinRowCountForPageSizeCheck(),
                        (rows + rowGroupBytes / perRow) / 2), rows + props.getMaxRowCountForPageSizeCheck());
            }
        }
    }

    private void writeRowGroup() throws IOException {
        try {
            if (rows > 0) {
                file.startBlock(rows);
                store.flush();
                pages.flushToFileWriter(file);
                file.endBlock();
                rowGroups++;
                lastRowGroupEnd = file.getPos();
            }
        } finally {
            store.close();
            pages.close();
            rows = 0;
        }
    }

    /** Bytes written to the file so far plus those buffered in the open row group. */
    long dataSize() {
        return lastRowGroupEnd + store.getBufferedSize();
    }

    int rowGroups() {
        return rowGroups;
    }

    /** Writes the last row group and the footer. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            writeRowGroup();
            file.end(metadata);
        } catch (final IOException | RuntimeException e) {
            file.abort();
            throw e;
        } finally {
            file.close();
        }
    }

    /** Drops the file unfinished (its bytes are not a Parquet file; the caller deletes them). */
    void abort() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            store.close();
            pages.close();
        } finally {
            file.abort();
            file.close();
        }
    }
}
