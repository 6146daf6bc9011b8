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
class TableWriterTest {

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

    /** Wire-format payloads of the records, through a mock registry. */
    private static <T extends SpecificRecord> List<byte[]> payloads(final String topic, final List<T> rows) {
        final io.replwatch.serde.AvroSerializer<T> ser = new io.replwatch.serde.AvroSerializer<>();
        ser.configure(Map.of("schema.registry.url", "mock://direct-write-transcode"), false);
        final List<byte[]> out = new ArrayList<>();
        for (final T r : rows) {
            out.add(ser.serialize(topic, r));
        }
        return out;
    }

    private static Transcoder.Cursor body(final byte[] payload) {
        return new Transcoder.Cursor().reset(payload, 5, payload.length - 5);
    }

    /**
     * What the sink does with payloads of the table's own schema: checked, then transcoded straight to Parquet; the
     * file reads back as the records sent, and the check gives each row's cluster and partition time.
     */
    @Test
    void payloadsOfTheTablesOwnSchemaTranscodeToTheSameRows() throws Exception {
        final List<ReplicationSample> samples = samples();
        final List<CapacityRollup> rollups = rollups();
        final OpenFile fs = new OpenFile(Table.SAMPLES, "x", tmp.resolve("staging-t"), Table.SAMPLES.topic, 0, 0,
                CompressionCodecName.ZSTD);
        final List<byte[]> sp = payloads(Table.SAMPLES.topic, samples);
        for (int i = 0; i < sp.size(); i++) {
            final Transcoder.Key key = OpenFile.transcoder(Table.SAMPLES).check(body(sp.get(i)));
            assertThat(key.cluster()).isEqualTo(samples.get(i).getCluster());
            assertThat(key.timeMillis()).isEqualTo(samples.get(i).getSampledAt().toEpochMilli());
            fs.write(sp.get(i), 5, sp.get(i).length - 5);
        }
        fs.close();
        assertThat(LakeFixtures.<ReplicationSample>read(fs.staging)).isEqualTo(samples);

        final OpenFile fr = new OpenFile(Table.ROLLUPS, "x", tmp.resolve("staging-t"), Table.ROLLUPS.topic, 0, 0,
                CompressionCodecName.ZSTD);
        for (final byte[] p : payloads(Table.ROLLUPS.topic, rollups)) {
            assertThat(OpenFile.transcoder(Table.ROLLUPS).check(body(p)).cluster()).isEqualTo("orders");
            fr.write(p, 5, p.length - 5);
        }
        fr.close();
        assertThat(LakeFixtures.<CapacityRollup>read(fr.staging)).isEqualTo(rollups);
        io.replwatch.serde.MockSchemaRegistry.drop("direct-write-transcode");
    }

    /**
     * A payload is checked whole before a byte of it is written: every truncation and any trailing byte is refused,
     * and a payload with bytes flipped is either refused or a well-formed row (never another exception, never half a
     * row in the file).
     */
    @Test
    void corruptPayloadsAreRefusedByTheCheckNeverHalfWritten() throws Exception {
        final Transcoder t = OpenFile.transcoder(Table.SAMPLES);
        final List<ReplicationSample> rows = samples();
        final List<byte[]> ps = payloads(Table.SAMPLES.topic, List.of(rows.get(0), rows.get(1), rows.get(rows.size() - 2)));
        int refused = 0;
        for (final byte[] p : ps) {
            for (int len = 0; len < p.length - 5; len++) {
                final Transcoder.Cursor c = new Transcoder.Cursor().reset(p, 5, len);
                assertThatThrownBy(() -> t.check(c)).as("truncated to %d of %d bytes", len, p.length - 5)
                        .isInstanceOf(Transcoder.CorruptPayload.class);
                refused++;
            }
            final byte[] longer = java.util.Arrays.copyOf(p, p.length + 1);
            assertThatThrownBy(() -> t.check(body(longer))).hasMessageContaining("trailing");
        }
        final java.util.Random random = new java.util.Random(7);
        final OpenFile f = new OpenFile(Table.SAMPLES, "x", tmp.resolve("staging-c"), Table.SAMPLES.topic, 0, 0,
                CompressionCodecName.ZSTD);
        int written = 0;
        for (int i = 0; i < 3_000; i++) {
            final byte[] p = ps.get(i % ps.size()).clone();
            for (int k = 0; k < 1 + random.nextInt(3); k++) {
                p[5 + random.nextInt(p.length - 5)] = (byte) random.nextInt(256);
            }
            try {
                t.check(body(p));
            } catch (final Transcoder.CorruptPayload e) {
                continue;
            }
            f.write(p, 5, p.length - 5);
            written++;
        }
        f.close();
        assertThat(refused).isPositive();
        assertThat(LakeFixtures.<ReplicationSample>read(f.staging)).hasSize(written);
    }

    /** Only payloads of the table's own schema are transcoded; an older version is resolved as a record. */
    @Test
    void onlyTheTablesOwnSchemaIsTranscoded() throws Exception {
        // An older version: the same record one field shorter (the schemas only ever grow at the end).
        final Schema own0 = Table.SAMPLES.schema;
        final Schema v1 = Schema.createRecord(own0.getName(), own0.getDoc(), own0.getNamespace(), false,
                own0.getFields().subList(0, own0.getFields().size() - 1).stream()
                        .map(f -> new Schema.Field(f, f.schema())).toList());
        final Schema registered = new Schema.Parser().parse(Table.SAMPLES.schema.toString()
                .replace(",\"avro.java.string\":\"String\"", ""));
        final long own = OpenFile.transcoder(Table.SAMPLES).fingerprint();
        assertThat(Transcoder.fingerprint(registered)).isEqualTo(own);
        assertThat(Transcoder.fingerprint(v1)).isNotEqualTo(own);
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
        assertThatThrownBy(() -> new TableWriter(union)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unions");
        final Schema date = SchemaBuilder.record("D").fields().name("d").type(
                org.apache.avro.LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT))).noDefault().endRecord();
        assertThatThrownBy(() -> new TableWriter(date)).hasMessageContaining("logical type date");
    }
}
