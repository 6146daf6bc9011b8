package org.apache.parquet;

import java.util.HashMap;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.format.converter.ParquetMetadataConverter;

/**
 * Read options built without Hadoop. {@link ParquetReadOptions.Builder}'s constructor always creates Parquet's
 * Hadoop codec factory and asks Hadoop's {@code ParquetInputFormat} for a filter, so it cannot run without the Hadoop
 * jars (apache/parquet-java#2818); the options' own constructor is package-private, hence this class in Parquet's
 * package. The values are the builder's defaults (parquet-hadoop 1.18.1), with the caller's codec factory; a Parquet
 * upgrade that changes the constructor fails the lake's compile, not its run.
 */
public final class HadoopFreeReadOptions {

    private static final int ALLOCATION_SIZE_DEFAULT = 8 * 1024 * 1024;

    private HadoopFreeReadOptions() {
    }

    public static ParquetReadOptions of(final ParquetConfiguration conf, final CompressionCodecFactory codecs) {
        return new ParquetReadOptions(
                false, // useSignedStringMinMax
                true, // useStatsFilter
                true, // useDictionaryFilter
                true, // useRecordFilter
                true, // useColumnIndexFilter
                false, // usePageChecksumVerification
                true, // useBloomFilter
                false, // useOffHeapDecryptBuffer
                false, // useHadoopVectoredIo (a Hadoop file system feature)
                FilterCompat.NOOP,
                ParquetMetadataConverter.NO_FILTER,
                codecs,
                new HeapByteBufferAllocator(),
                ALLOCATION_SIZE_DEFAULT,
                new HashMap<>(),
                null, // no decryption
                null, // no metrics callback
                conf);
    }
}
