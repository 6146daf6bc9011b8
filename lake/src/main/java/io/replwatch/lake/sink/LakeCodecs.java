package io.replwatch.lake.sink;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Parquet page compression without Hadoop. Parquet's own {@code CodecFactory} goes through Hadoop's codec classes and
 * {@code Configuration} (which drags in the 50 MB shaded Hadoop runtime); the lake writes and reads its files with the
 * libraries those codecs wrap anyway: zstd-jni, snappy-java (raw Snappy blocks, as Parquet stores them) and the JDK's
 * gzip. The page formats are Parquet's, so files read the same in Spark, DuckDB or Trino as before.
 */
public final class LakeCodecs implements CompressionCodecFactory {

    /** Parquet's default ZSTD level (parquet.compression.codec.zstd.level). */
    static final int ZSTD_LEVEL = 3;

    public static final LakeCodecs INSTANCE = new LakeCodecs();

    private LakeCodecs() {
    }

    /** The codecs the lake writes and reads; anything else is refused when the config is read. */
    public static boolean supports(final CompressionCodecName codec) {
        return switch (codec) {
            case UNCOMPRESSED, SNAPPY, ZSTD, GZIP -> true;
            default -> false;
        };
    }

    @Override
    public BytesInputCompressor getCompressor(final CompressionCodecName codec) {
        return new Compressor(codec);
    }

    @Override
    public BytesInputDecompressor getDecompressor(final CompressionCodecName codec) {
        return new Decompressor(codec);
    }

    @Override
    public void release() {
        // stateless
    }

    static byte[] compress(final CompressionCodecName codec, final byte[] in) throws IOException {
        return switch (codec) {
            case UNCOMPRESSED -> in;
            case SNAPPY -> Snappy.compress(in);
            case ZSTD -> Zstd.compress(in, ZSTD_LEVEL);
            case GZIP -> {
                final ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, in.length / 2));
                try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                    gz.write(in);
                }
                yield out.toByteArray();
            }
            default -> throw unsupported(codec);
        };
    }

    static byte[] decompress(final CompressionCodecName codec, final byte[] in, final int size) throws IOException {
        final byte[] out = switch (codec) {
            case UNCOMPRESSED -> in;
            case SNAPPY -> {
                final int declared = Snappy.uncompressedLength(in, 0, in.length);
                if (declared != size) {
                    throw new IOException("snappy page: " + declared + " bytes, expected " + size);
                }
                final byte[] b = new byte[size];
                final int n = Snappy.uncompress(in, 0, in.length, b, 0);
                if (n != size) {
                    throw new IOException("snappy page: " + n + " bytes, expected " + size);
                }
                yield b;
            }
            case ZSTD -> {
                final byte[] b = new byte[size];
                final long n;
                try {
                    n = Zstd.decompressByteArray(b, 0, size, in, 0, in.length);
                } catch (final RuntimeException e) {
                    throw new IOException("zstd page: " + e.getMessage(), e);
                }
                if (Zstd.isError(n)) {
                    throw new IOException("zstd page: " + Zstd.getErrorName(n));
                }
                if (n != size) {
                    throw new IOException("zstd page: " + n + " bytes, expected " + size);
                }
                yield b;
            }
            case GZIP -> {
                try (InputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(in))) {
                    final byte[] b = gz.readNBytes(size);
                    if (b.length != size || gz.read() != -1) {
                        throw new IOException("gzip page: not " + size + " bytes");
                    }
                    yield b;
                }
            }
            default -> throw unsupported(codec);
        };
        if (out.length != size) {
            throw new IOException(codec + " page: " + out.length + " bytes, expected " + size);
        }
        return out;
    }

    private static IOException unsupported(final CompressionCodecName codec) {
        return new IOException("the lake reads and writes zstd, snappy, gzip or uncompressed pages, not " + codec);
    }

    private record Compressor(CompressionCodecName codec) implements BytesInputCompressor {
        @Override
        public BytesInput compress(final BytesInput bytes) throws IOException {
            return BytesInput.from(LakeCodecs.compress(codec, bytes.toByteArray()));
        }

        @Override
        public CompressionCodecName getCodecName() {
            return codec;
        }

        @Override
        public void release() {
            // stateless
        }
    }

    private record Decompressor(CompressionCodecName codec) implements BytesInputDecompressor {
        @Override
        public BytesInput decompress(final BytesInput bytes, final int uncompressedSize) throws IOException {
            return BytesInput.from(LakeCodecs.decompress(codec, bytes.toByteArray(), uncompressedSize));
        }

        @Override
        public void decompress(final ByteBuffer input, final int compressedSize, final ByteBuffer output,
                               final int uncompressedSize) throws IOException {
            final byte[] in = new byte[compressedSize];
            input.get(in);
            output.put(LakeCodecs.decompress(codec, in, uncompressedSize));
        }

        @Override
        public void release() {
            // stateless
        }
    }
}
