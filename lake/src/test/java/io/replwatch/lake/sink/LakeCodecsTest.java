package io.replwatch.lake.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.lake.LakeFixtures;
import io.replwatch.serde.AvroTrust;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The lake's Hadoop-free codecs read what Parquet's Hadoop codecs wrote, and write what they read: the fixtures in
 * {@code src/test/resources/parquet} were written by parquet-avro 1.18.1 with Hadoop's codecs (120 rows each), and the
 * reverse direction was checked with Hadoop's reader when the codecs were written (see the lake README).
 */
class LakeCodecsTest {

    @BeforeAll
    static void trust() {
        AvroTrust.init();
    }

    @ParameterizedTest
    @EnumSource(value = CompressionCodecName.class, names = {"ZSTD", "SNAPPY", "GZIP"})
    void readsFilesWrittenWithHadoopsCodecs(final CompressionCodecName codec) throws Exception {
        final List<ReplicationSample> rows = LakeFixtures.read(fixture("hadoop-" + codec.name().toLowerCase() + ".parquet"));
        assertThat(rows).hasSize(120);
        for (int i = 0; i < rows.size(); i++) {
            final ReplicationSample want = LakeFixtures.sample(i);
            final ReplicationSample got = rows.get(i);
            assertThat(got.getCluster()).isEqualTo(want.getCluster());
            assertThat(got.getNode()).isEqualTo(want.getNode());
            assertThat(got.getSequence()).isEqualTo(want.getSequence());
            assertThat(got.getSampledAt()).isEqualTo(want.getSampledAt());
            assertThat(got.getWalLsn()).isEqualTo(want.getWalLsn());
            assertThat(got.getReplicas()).isEqualTo(want.getReplicas());
        }
    }

    @ParameterizedTest
    @EnumSource(value = CompressionCodecName.class, names = {"UNCOMPRESSED", "ZSTD", "SNAPPY", "GZIP"})
    void pagesRoundTripThroughBothEntryPoints(final CompressionCodecName codec) throws IOException {
        final byte[] page = "wal_lsn=16/B374D848 ".repeat(500).getBytes(StandardCharsets.UTF_8);
        final byte[] packed = LakeCodecs.INSTANCE.getCompressor(codec)
                .compress(org.apache.parquet.bytes.BytesInput.from(page)).toByteArray();
        if (codec != CompressionCodecName.UNCOMPRESSED) {
            assertThat(packed.length).isLessThan(page.length / 4);
        }
        assertThat(LakeCodecs.INSTANCE.getDecompressor(codec)
                .decompress(org.apache.parquet.bytes.BytesInput.from(packed), page.length).toByteArray()).isEqualTo(page);
        final ByteBuffer out = ByteBuffer.allocate(page.length);
        LakeCodecs.INSTANCE.getDecompressor(codec).decompress(ByteBuffer.wrap(packed), packed.length, out, page.length);
        assertThat(out.array()).isEqualTo(page);
    }

    @ParameterizedTest
    @EnumSource(value = CompressionCodecName.class, names = {"UNCOMPRESSED", "ZSTD", "SNAPPY", "GZIP"})
    void aPageOfTheWrongSizeIsAnErrorNotShortData(final CompressionCodecName codec) throws IOException {
        final byte[] page = "x".repeat(1000).getBytes(StandardCharsets.UTF_8);
        final byte[] packed = LakeCodecs.compress(codec, page);
        assertThatThrownBy(() -> LakeCodecs.decompress(codec, packed, 999)).isInstanceOf(IOException.class);
    }

    @ParameterizedTest
    @EnumSource(value = CompressionCodecName.class, names = {"LZO", "BROTLI", "LZ4", "LZ4_RAW"})
    void otherCodecsAreRefusedByName(final CompressionCodecName codec) {
        assertThat(LakeCodecs.supports(codec)).isFalse();
        assertThatThrownBy(() -> LakeCodecs.compress(codec, new byte[1])).hasMessageContaining(codec.name());
    }

    private static Path fixture(final String name) throws URISyntaxException {
        return Path.of(LakeCodecsTest.class.getResource("/parquet/" + name).toURI());
    }
}
