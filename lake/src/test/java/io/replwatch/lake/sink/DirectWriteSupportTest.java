package io.replwatch.lake.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.RollupPeriod;
import io.replwatch.lake.LakeFixtures;
import io.replwatch.schemas.SampleFixtures;
import io.replwatch.serde.AvroTrust;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake's own Parquet write path against parquet-avro's: the same rows written both ways read back (with
 * parquet-avro's reader, which also checks the file's schema and metadata) as the rows that went in.
 */
class DirectWriteSupportTest {

    @TempDir
    Path tmp;

    @BeforeAll
    static void trust() {
        AvroTrust.init();
    }

    /** Samples covering every shape: primary with replicas and slots, standby, unreachable (mostly nulls), labels. */
    static List<ReplicationSample> samples() {
        final List<ReplicationSample> rows = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            rows.add(LakeFixtures.sample(i));
        }
        rows.add(SampleFixtures.standby(LakeFixtures.DAY0.toEpochMilli()));
        rows.add(ReplicationSample.newBuilder(SampleFixtures.standby(LakeFixtures.DAY0.toEpochMilli()))
                .setLabels(Map.of("env", "prod", "rack", "é-1")).setMessage("ünïcode").build());
        rows.add(ReplicationSample.newBuilder().setCluster("c0").setNode("gone").setCollectorId("col")
                .setSampledAt(LakeFixtures.DAY0).setStatus(PollStatus.UNREACHABLE)
                .setMessage("connection refused").build());
        return rows;
    }

    static List<CapacityRollup> rollups() {
        final List<CapacityRollup> rows = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            rows.add(CapacityRollup.newBuilder().setCluster("orders").setNode(i % 5 == 0 ? null : "n" + i % 3)
                    .setPeriod(i % 2 == 0 ? RollupPeriod.HOUR : RollupPeriod.DAY)
                    .setPeriodStart(Instant.ofEpochSecond(1_764_000_000L + i * 3600L))
                    .setPeriodEnd(Instant.ofEpochSecond(1_764_003_600L + i * 3600L)).setWalBytes(i * 1_000_000L)
                    .setWalRatePeak(i % 3 == 0 ? null : i * 1.5).setLagBytesP95(i % 4 == 0 ? null : (long) i)
                    .setSlotCount(i % 3).setRecoveryConflicts(i).setSamples(3600).setOkSamples(3600 - i)
                    .setAvailability((3600 - i) / 3600.0).build());
        }
        return rows;
    }

    private <T extends SpecificRecord> Path writeDirect(final Table table, final List<T> rows) throws Exception {
        final OpenFile f = new OpenFile(table, "x", tmp.resolve("staging"), table.topic, 0, 0, CompressionCodecName.ZSTD);
        for (final T r : rows) {
            f.write(r);
        }
        f.close();
        return f.staging;
    }

    private <T extends SpecificRecord> Path writeAvro(final Schema schema, final List<T> rows) throws Exception {
        final SpecificData model = new SpecificData();
        model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        final Path file = tmp.resolve("avro-" + schema.getName() + ".parquet");
        try (ParquetWriter<T> w = AvroParquetWriter.<T>builder(new LocalOutputFile(file)).withSchema(schema)
                .withDataModel(model).withConf(new PlainParquetConfiguration())
                .withCodecFactory(LakeCodecs.INSTANCE).build()) {
            for (final T r : rows) {
                w.write(r);
            }
        }
        return file;
    }

    @Test
    void samplesReadBackAsWrittenAndAsParquetAvroWritesThem() throws Exception {
        final List<ReplicationSample> rows = samples();
        final List<ReplicationSample> direct = LakeFixtures.read(writeDirect(Table.SAMPLES, rows));
        final List<ReplicationSample> viaAvro = LakeFixtures.read(writeAvro(ReplicationSample.getClassSchema(), rows));
        assertThat(direct).hasSize(rows.size()).isEqualTo(rows).isEqualTo(viaAvro);
        assertThat(direct.get(rows.size() - 1).getStatus()).isEqualTo(PollStatus.UNREACHABLE);
        assertThat(direct.get(rows.size() - 2).getLabels()).containsEntry("rack", "é-1");
    }

    /**
     * What the sink does: records decoded from the wire as plain generic records (Utf8 strings, long timestamps),
     * read back as the samples that were sent.
     */
    @Test
    void plainGenericRecordsFromTheWireReadBackAsTheSamplesSent() throws Exception {
        final Map<String, Object> serde = Map.of("schema.registry.url", "mock://direct-write-plain");
        final io.replwatch.serde.AvroSerializer<ReplicationSample> ser = new io.replwatch.serde.AvroSerializer<>();
        ser.configure(serde, false);
        final io.replwatch.serde.AvroDeserializer<org.apache.avro.generic.IndexedRecord> plain =
                io.replwatch.serde.AvroDeserializer.plain(Table.SAMPLES.schema);
        plain.configure(serde, false);
        final List<ReplicationSample> rows = samples();
        final List<org.apache.avro.generic.IndexedRecord> decoded = new ArrayList<>();
        for (final ReplicationSample r : rows) {
            decoded.add(plain.deserialize(Table.SAMPLES.topic, ser.serialize(Table.SAMPLES.topic, r)));
        }
        assertThat(decoded.get(0)).isNotInstanceOf(ReplicationSample.class);
        assertThat(decoded.get(0).get(ReplicationSample.getClassSchema().getField("cluster").pos()))
                .isInstanceOf(org.apache.avro.util.Utf8.class);
        assertThat(Table.SAMPLES.time(decoded.get(0))).isEqualTo(rows.get(0).getSampledAt());
        assertThat(Table.SAMPLES.cluster(decoded.get(0))).isEqualTo(rows.get(0).getCluster());
        final OpenFile f = new OpenFile(Table.SAMPLES, "x", tmp.resolve("staging-plain"), Table.SAMPLES.topic, 0, 0,
                CompressionCodecName.ZSTD);
        for (final org.apache.avro.generic.IndexedRecord r : decoded) {
            f.write(r);
        }
        f.close();
        assertThat(LakeFixtures.<ReplicationSample>read(f.staging)).isEqualTo(rows);
        io.replwatch.serde.MockSchemaRegistry.drop("direct-write-plain");
    }

    @Test
    void rollupsReadBackAsWritten() throws Exception {
        final List<CapacityRollup> rows = rollups();
        assertThat(LakeFixtures.<CapacityRollup>read(writeDirect(Table.ROLLUPS, rows))).isEqualTo(rows)
                .isEqualTo(LakeFixtures.read(writeAvro(CapacityRollup.getClassSchema(), rows)));
    }

    @Test
    void unsupportedSchemasAreRefusedWhenTheWriterIsBuilt() {
        final Schema union = SchemaBuilder.record("U").fields().name("x").type().unionOf().intType().and().stringType()
                .endUnion().noDefault().endRecord();
        assertThatThrownBy(() -> new DirectWriteSupport(union)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unions");
        final Schema date = SchemaBuilder.record("D").fields().name("d").type(
                org.apache.avro.LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT))).noDefault().endRecord();
        assertThatThrownBy(() -> new DirectWriteSupport(date)).hasMessageContaining("logical type date");
    }
}
