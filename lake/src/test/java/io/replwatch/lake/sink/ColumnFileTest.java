package io.replwatch.lake.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.util.Utf8;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transcoder's own shredding (values and nulls written to the column writers with the levels it counted) against
 * parquet-avro's, on a schema with every nesting the lake's tables could grow into: lists of records holding lists,
 * optional records holding lists and maps, maps of nullable records, empty and absent lists. Random rows are written
 * by parquet-avro, by the transcoder alone, and by the transcoder and Parquet's record shredding taking turns in one
 * file of many row groups; all three read back as the rows that went in.
 */
class ColumnFileTest {

    @TempDir
    Path tmp;

    static final Schema DEEP = new Schema.Parser().parse("""
            {"type": "record", "name": "Deep", "namespace": "t", "fields": [
              {"name": "cluster", "type": "string"},
              {"name": "t", "type": "long"},
              {"name": "tags", "type": {"type": "array", "items": "string"}},
              {"name": "opt", "type": ["null", {"type": "record", "name": "Inner", "fields": [
                {"name": "name", "type": ["null", "string"]},
                {"name": "xs", "type": {"type": "array", "items": "long"}},
                {"name": "m", "type": {"type": "map", "values": ["null", {"type": "record", "name": "V", "fields": [
                  {"name": "a", "type": ["null", "int"]},
                  {"name": "ys", "type": {"type": "array", "items": "double"}}]}]}}]}]},
              {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item", "fields": [
                {"name": "id", "type": "int"},
                {"name": "subs", "type": {"type": "array", "items": {"type": "record", "name": "Sub", "fields": [
                  {"name": "k", "type": "string"},
                  {"name": "v", "type": ["null", "long"]}]}}},
                {"name": "note", "type": ["null", "string"]}]}}},
              {"name": "maybe", "type": ["null", {"type": "array", "items": "boolean"}]},
              {"name": "labels", "type": {"type": "map", "values": "string"}},
              {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B", "C"]}},
              {"name": "f", "type": ["null", "float"]},
              {"name": "blob", "type": ["null", "bytes"]}
            ]}""");

    private static <T> List<T> some(final Random r, final java.util.function.Supplier<T> item) {
        final int n = r.nextInt(4) == 0 ? 0 : r.nextInt(4);
        final List<T> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(item.get());
        }
        return out;
    }

    static List<GenericRecord> rows(final int n, final long seed) {
        final Random r = new Random(seed);
        final Schema inner = DEEP.getField("opt").schema().getTypes().get(1);
        final Schema v = inner.getField("m").schema().getValueType().getTypes().get(1);
        final Schema item = DEEP.getField("items").schema().getElementType();
        final Schema sub = item.getField("subs").schema().getElementType();
        final List<GenericRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final GenericRecord d = new GenericData.Record(DEEP);
            d.put("cluster", "c" + r.nextInt(3));
            d.put("t", r.nextLong());
            d.put("tags", some(r, () -> "tag" + r.nextInt(5)));
            if (r.nextBoolean()) {
                final GenericRecord in = new GenericData.Record(inner);
                in.put("name", r.nextBoolean() ? null : "n" + r.nextInt(9));
                in.put("xs", some(r, r::nextLong));
                final Map<String, GenericRecord> m = new LinkedHashMap<>();
                for (final String k : some(r, () -> "k" + r.nextInt(20))) {
                    GenericRecord val = null;
                    if (r.nextInt(3) > 0) {
                        val = new GenericData.Record(v);
                        val.put("a", r.nextBoolean() ? null : r.nextInt());
                        val.put("ys", some(r, r::nextDouble));
                    }
                    m.put(k, val);
                }
                in.put("m", m);
                d.put("opt", in);
            }
            d.put("items", some(r, () -> {
                final GenericRecord it = new GenericData.Record(item);
                it.put("id", r.nextInt());
                it.put("subs", some(r, () -> {
                    final GenericRecord s = new GenericData.Record(sub);
                    s.put("k", "s" + r.nextInt(4));
                    s.put("v", r.nextBoolean() ? null : r.nextLong());
                    return s;
                }));
                it.put("note", r.nextBoolean() ? null : "note" + r.nextInt(3));
                return it;
            }));
            d.put("maybe", r.nextBoolean() ? null : some(r, r::nextBoolean));
            final Map<String, String> labels = new LinkedHashMap<>();
            for (final String k : some(r, () -> "l" + r.nextInt(6))) {
                labels.put(k, "v" + r.nextInt(3));
            }
            d.put("labels", labels);
            d.put("kind", new GenericData.EnumSymbol(DEEP.getField("kind").schema(), "ABC".substring(r.nextInt(3)).substring(0, 1)));
            d.put("f", r.nextBoolean() ? null : r.nextFloat());
            d.put("blob", r.nextBoolean() ? null : java.nio.ByteBuffer.wrap(new byte[] {(byte) r.nextInt(), 0, (byte) i}));
            out.add(d);
        }
        return out;
    }

    private static byte[] binary(final GenericRecord rec) throws Exception {
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        final BinaryEncoder enc = EncoderFactory.get().binaryEncoder(buf, null);
        new GenericDatumWriter<GenericRecord>(DEEP).write(rec, enc);
        enc.flush();
        return buf.toByteArray();
    }

    /** A row as plain Java values: strings for Utf8, sorted maps, lists of bytes for buffers, maps for records. */
    static Object plain(final Object o) {
        if (o instanceof IndexedRecord rec) {
            final Map<String, Object> m = new LinkedHashMap<>();
            for (final Schema.Field f : rec.getSchema().getFields()) {
                m.put(f.name(), plain(rec.get(f.pos())));
            }
            return m;
        }
        if (o instanceof Map<?, ?> map) {
            final Map<String, Object> m = new TreeMap<>();
            map.forEach((k, v) -> m.put(k.toString(), plain(v)));
            return m;
        }
        if (o instanceof List<?> l) {
            return l.stream().map(ColumnFileTest::plain).toList();
        }
        if (o instanceof java.nio.ByteBuffer b) {
            final byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            return java.util.Arrays.toString(bytes);
        }
        if (o instanceof Utf8 || o instanceof GenericData.EnumSymbol) {
            return o.toString();
        }
        return o;
    }

    private static List<Object> read(final Path file) throws Exception {
        final List<Object> out = new ArrayList<>();
        ParquetRows.read(file, GenericData.get(), row -> out.add(plain(row)));
        return out;
    }

    private ColumnFile open(final TableWriter table, final String name, final long rowGroupBytes) throws Exception {
        return new ColumnFile(new LocalOutputFile(tmp.resolve(name)), table.parquetSchema(), table.metadata(),
                ParquetProperties.builder().withSizeStatisticsEnabled(false).build(),
                LakeCodecs.INSTANCE.getCompressor(CompressionCodecName.ZSTD), rowGroupBytes);
    }

    @Test
    void everyNestingShredsAsParquetAvroShredsIt() throws Exception {
        final List<GenericRecord> rows = rows(3_000, 42);
        final List<Object> expected = rows.stream().map(ColumnFileTest::plain).toList();
        final TableWriter table = new TableWriter(DEEP, "cluster", "t");

        final Path avro = tmp.resolve("avro.parquet");
        try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(avro))
                .withSchema(DEEP).withDataModel(GenericData.get()).withConf(new PlainParquetConfiguration()).withCodecFactory(LakeCodecs.INSTANCE).build()) {
            for (final GenericRecord rec : rows) {
                w.write(rec);
            }
        }
        assertThat(read(avro)).isEqualTo(expected);

        final Transcoder.Cursor cursor = new Transcoder.Cursor();
        try (ColumnFile f = open(table, "transcoded.parquet", OpenFile.ROW_GROUP_BYTES)) {
            for (final GenericRecord rec : rows) {
                final byte[] b = binary(rec);
                table.transcoder().check(cursor.reset(b, 0, b.length));
                table.transcoder().write(cursor.reset(b, 0, b.length), f.columns());
                f.endRow();
            }
        }
        assertThat(read(tmp.resolve("transcoded.parquet"))).isEqualTo(expected);

        // Both ways in one file, in runs of random length, over row groups of a few kilobytes.
        final Random turns = new Random(9);
        final int groups;
        try (ColumnFile f = open(table, "mixed.parquet", 16 * 1024)) {
            boolean records = false;
            for (int i = 0; i < rows.size(); i++) {
                if (turns.nextInt(5) == 0) {
                    records = !records;
                }
                if (records) {
                    table.write(f.records(), rows.get(i));
                    f.endRecord();
                } else {
                    final byte[] b = binary(rows.get(i));
                    table.transcoder().write(cursor.reset(b, 0, b.length), f.columns());
                    f.endRow();
                }
            }
            f.close();
            groups = f.rowGroups();
        }
        assertThat(groups).isGreaterThan(3);
        assertThat(read(tmp.resolve("mixed.parquet"))).isEqualTo(expected);
    }
}
