package io.replwatch.serde.bench;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.schemas.SampleFixtures;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerde;
import io.replwatch.serde.MockSchemaRegistry;
import io.replwatch.serde.SerdeConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Cost per record of the Confluent wire-format serde against plain Avro (SpecificDatumWriter/Reader with reused
 * encoder/decoder) on the same record: a primary with two replica rows and two slots. The serde's registry is a
 * warmed cache (mock scope), as on the hot path after the first record.
 *
 * <p>Run: {@code mvn -B -q -pl schemas test-compile exec:exec@bench}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class SerdeBenchmark {

    private ReplicationSample sample;
    private Serializer<ReplicationSample> serializer;
    private Deserializer<ReplicationSample> deserializer;
    private byte[] framed;

    private SpecificDatumWriter<ReplicationSample> plainWriter;
    private SpecificDatumReader<ReplicationSample> plainReader;
    private ByteArrayOutputStream plainOut;
    private BinaryEncoder plainEncoder;
    private BinaryDecoder plainDecoder;
    private byte[] plain;

    @Setup
    public void setUp() throws IOException {
        sample = SampleFixtures.primaryWithTwoStandbys(1_764_000_000_000L);
        final AvroSerde<ReplicationSample> serde = AvroSerde.forValues(ReplicationSample.class,
                Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://bench"));
        serializer = serde.serializer();
        deserializer = serde.deserializer();
        framed = serializer.serialize(Topics.SAMPLES, sample);

        plainWriter = new SpecificDatumWriter<>(ReplicationSample.class);
        plainReader = new SpecificDatumReader<>(ReplicationSample.class);
        plainOut = new ByteArrayOutputStream(512);
        plain = plainSerialize();
        if (!Arrays.equals(plain, Arrays.copyOfRange(framed, 5, framed.length))) {
            throw new IllegalStateException("serde body differs from plain Avro: the comparison would be unfair");
        }
    }

    @Benchmark
    public byte[] serdeSerialize() {
        return serializer.serialize(Topics.SAMPLES, sample);
    }

    @Benchmark
    public byte[] plainAvroSerialize() throws IOException {
        return plainSerialize();
    }

    private byte[] plainSerialize() throws IOException {
        plainOut.reset();
        plainEncoder = EncoderFactory.get().binaryEncoder(plainOut, plainEncoder);
        plainWriter.write(sample, plainEncoder);
        plainEncoder.flush();
        return plainOut.toByteArray();
    }

    @Benchmark
    public ReplicationSample serdeDeserialize() {
        return deserializer.deserialize(Topics.SAMPLES, framed);
    }

    @Benchmark
    public ReplicationSample plainAvroDeserialize() throws IOException {
        plainDecoder = DecoderFactory.get().binaryDecoder(plain, plainDecoder);
        return plainReader.read(null, plainDecoder);
    }

    public static void main(final String[] args) throws Exception {
        MockSchemaRegistry.drop("bench");
        new Runner(new OptionsBuilder().include(SerdeBenchmark.class.getName()).build()).run();
    }
}
