package io.replwatch.processor.topology;

import io.replwatch.avro.DeadLetter;
import io.replwatch.schemas.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Stage: a record the processor cannot use, kept whole with its reason and its place in the source topic. */
final class DeadLetters {

    private DeadLetters() {
    }

    static DeadLetter of(final Record<byte[], byte[]> record, final RuntimeException e, final Optional<RecordMetadata> meta,
                         final long wallNow) {
        final Map<String, String> headers = new HashMap<>();
        record.headers().forEach(h -> headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8)));
        return DeadLetter.newBuilder()
                .setStage("processor")
                .setReason(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                .setErrorClass(e.getClass().getName())
                .setFailedAt(Instant.ofEpochMilli(wallNow))
                .setSourceTopic(meta.map(RecordMetadata::topic).orElse(Topics.SAMPLES))
                .setSourcePartition(meta.map(RecordMetadata::partition).orElse(null))
                .setSourceOffset(meta.map(RecordMetadata::offset).orElse(null))
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setHeaders(headers)
                .build();
    }

    /** The record's key as text, the dead-letter topic's key. */
    static String key(final Record<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }
}
