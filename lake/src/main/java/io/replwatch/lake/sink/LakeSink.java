package io.replwatch.lake.sink;

import io.replwatch.serde.RegistryRetry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.replwatch.avro.DeadLetter;
import io.replwatch.lake.config.LakeConfig;
import io.replwatch.lake.store.LakeStore;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.AvroSerializer;
import io.replwatch.serde.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes samples and rollups and writes them to the lake as Parquet, per Kafka partition in batches: rows go
 * to one staging file per Hive partition (cluster, date); when the batch is due (rows, bytes or age), every file
 * of the batch is closed and published, and only then is the offset after the batch committed. On assignment,
 * files of batches that started at or after the committed offset (a crash between publishing and committing)
 * are deleted and the batch is consumed again. Undecodable records go to replwatch.dead-letter.
 */
public final class LakeSink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LakeSink.class);

    private final LakeConfig config;
    private final LakeStore store;
    private final MeterRegistry metrics;
    private final AtomicLong rowsWritten = new AtomicLong();
    private final AtomicLong filesPublished = new AtomicLong();
    private final AtomicLong batchesAbandoned = new AtomicLong();
    private final List<Worker> workers = new java.util.ArrayList<>();
    /** Partitions whose batch has a dead letter that Kafka refused (set by the producer's callback thread). */
    private final Map<TopicPartition, Boolean> failedDeadLetters = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean running;
    /** Each table's layout, resolved by the first worker to write to it (a store that cannot be listed yet fails
     *  that worker, which starts again with backoff, as for any store error). */
    private final Map<Table, LakeConfig.Layout> layouts = new java.util.concurrent.ConcurrentHashMap<>();
    private KafkaProducer<byte[], byte[]> deadLetters;

    /** The open files of one Kafka partition's current batch. */
    private static final class Batch {
        final Map<String, OpenFile> files = new LinkedHashMap<>();
        long first = -1;
        long last = -1;
        long rows;
        final long openedNanos = System.nanoTime();
    }

    public LakeSink(final LakeConfig config, final LakeStore store, final MeterRegistry metrics) {
        this.config = config;
        this.store = store;
        this.metrics = metrics;
    }

    /**
     * Starts {@code threads} workers: each is a consumer of the group with its own partitions, batches and
     * files, so they share nothing but the store and the dead-letter producer, and a partition's exactly-once
     * bookkeeping stays with the one worker that owns it. Parquet encoding is CPU-bound: this is how the sink uses
     * more than one core.
     */
    public LakeSink start() {
        final Map<String, Object> p = new HashMap<>(config.kafka());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        deadLetters = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        running = true;
        for (int i = 0; i < config.threads(); i++) {
            final Worker w = new Worker();
            w.thread = new Thread(w::run, config.threads() == 1 ? "replwatch-lake-sink" : "replwatch-lake-sink-" + (i + 1));
            workers.add(w);
        }
        workers.forEach(w -> w.thread.start());
        return this;
    }

    /**
     * A table's layout: as configured, or with {@code auto}, cluster_date when its lake already holds files in that
     * layout (a lake keeps the layout it was started with; readers' globs and Hive partition keys stay one shape),
     * date otherwise.
     */
    private LakeConfig.Layout layout(final Table t) {
        if (config.layout() != LakeConfig.Layout.AUTO) {
            return config.layout();
        }
        final boolean existing;
        try {
            existing = store.anyKeyStartingWith(t.dir + "/cluster=");
        } catch (final IOException e) {
            throw new IllegalStateException("Cannot list the lake at " + store.describe() + ": " + e.getMessage(), e);
        }
        final LakeConfig.Layout l = existing ? LakeConfig.Layout.CLUSTER_DATE : LakeConfig.Layout.DATE;
        LOG.info("Table {}: layout {} ({})", t.dir, l == LakeConfig.Layout.DATE ? "date" : "cluster_date",
                existing ? "the lake already has " + t.dir + "/cluster=... files" : "a file per partition and day");
        return l;
    }

    private record DayDir(long day, String dir) {
    }

    /** One consumer of the group and the batches of the partitions it owns. */
    private final class Worker {
        private final Map<TopicPartition, Batch> batches = new HashMap<>();
        /** Partitions seeked back during the current poll's records. */
        private final Set<TopicPartition> rewound = new java.util.HashSet<>();
        private final Map<Table, AvroDeserializer<org.apache.avro.generic.IndexedRecord>> decoders = new LinkedHashMap<>();
        private final AvroSerializer<DeadLetter> deadLetterSerializer = new AvroSerializer<>();
        /** Whether a writer schema (by identity: the deserializer caches one per id) is the table's own. */
        private final Map<Schema, Boolean> transcodable = new java.util.IdentityHashMap<>();
        private final Transcoder.Cursor cursor = new Transcoder.Cursor();
        private final Map<Table, Map<String, DayDir>> dirs = new java.util.EnumMap<>(Table.class);
        private final CountDownLatch stopped = new CountDownLatch(1);
        private volatile KafkaConsumer<byte[], byte[]> consumer;
        private Thread thread;
        /** This consumer's token in the names of the files it publishes (new for every consumer of the worker). */
        private String writer;
        /** When the last poll returned, and how long after it this worker may still publish or commit. */
        private long lastPollNanos;
        private long publishBudgetNanos;
        private long lastTooWideNanos;

        Worker() {
            for (final Table t : config.tables()) {
                // Plain generic records (strings as Utf8, timestamps as longs): the writer only copies the values
                // into Parquet, and decoding into the generated classes cost a quarter of the sink's time (JFR).
                final AvroDeserializer<org.apache.avro.generic.IndexedRecord> d = AvroDeserializer.plain(t.schema);
                d.configure(config.registry(), false);
                decoders.put(t, d);
            }
            deadLetterSerializer.configure(config.registry(), false);
        }

        /**
         * Consumes until stopped. A worker that fails (a store that refuses a file, a bug) is not left dead: its
         * open files are discarded, its consumer closed (nothing past its last published batch was committed, so
         * its partitions are read again from there) and it starts over after a backoff, 1 s doubling to 30 s.
         */
        private void run() {
            long backoff = 1000;
            try {
                while (running) {
                    if (consume()) {
                        return;
                    }
                    restarts.incrementAndGet();
                    Counter.builder("replwatch.lake.worker.restarts").register(metrics).increment();
                    LOG.warn("Lake worker {} restarts in {} ms", Thread.currentThread().getName(), backoff);
                    try {
                        Thread.sleep(backoff);
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    backoff = Math.min(backoff * 2, 30_000);
                }
            } finally {
                stopped.countDown();
            }
        }

        /** One consumer's life; true when it ended because the sink is stopping, false when it failed. */
        private boolean consume() {
            final Map<String, Object> c = new HashMap<>(config.kafka());
            c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
            writer = Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
            // The group takes a partition away from a consumer that has not polled for max.poll.interval.ms; past
            // four fifths of it, this worker starts no publish and no commit (its batch is taken back and read again).
            final long maxPoll = Long.parseLong(String.valueOf(c.getOrDefault(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                    300_000)));
            publishBudgetNanos = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(maxPoll) * 4 / 5;
            lastPollNanos = System.nanoTime();
            try (KafkaConsumer<byte[], byte[]> k = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer = k;
                k.subscribe(config.tables().stream().map(t -> t.topic).toList(), new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(final Collection<TopicPartition> parts) {
                        for (final TopicPartition tp : parts) {
                            flush(k, tp);
                            batches.remove(tp);
                        }
                    }

                    @Override
                    public void onPartitionsAssigned(final Collection<TopicPartition> parts) {
                        recover(k, parts);
                    }

                    /** Already another consumer's (this one was out of the group): nothing of them is published. */
                    @Override
                    public void onPartitionsLost(final Collection<TopicPartition> parts) {
                        for (final TopicPartition tp : parts) {
                            final Batch b = batches.remove(tp);
                            if (b != null && b.first >= 0) {
                                b.files.values().forEach(OpenFile::discard);
                                abandoned(tp, b, "the partition was lost (this worker was out of the group)");
                            }
                        }
                    }
                });
                try {
                    loop(k);
                } catch (final WakeupException e) {
                    throw e; // stopping: closing the consumer revokes the partitions, which publishes their batches
                } catch (final RuntimeException e) {
                    // Failing: the batches go before the consumer closes. Closing revokes the partitions, and the
                    // revocation publishes a batch and commits past its last record, which is the one that failed
                    // (it was never written): that record would be skipped for good.
                    batches.values().forEach(b -> b.files.values().forEach(OpenFile::discard));
                    batches.clear();
                    throw e;
                }
            } catch (final WakeupException e) {
                return true; // stopping
            } catch (final RuntimeException e) {
                LOG.error("Lake worker failed: {}", e.toString(), e);
                return !running;
            } finally {
                batches.values().forEach(b -> b.files.values().forEach(OpenFile::discard));
                batches.clear();
                consumer = null;
            }
            return true;
        }

        /** Polls and writes until the sink stops; then publishes what is open. */
        private void loop(final KafkaConsumer<byte[], byte[]> k) {
            while (running) {
                rewound.clear();
                final var polled = k.poll(Duration.ofMillis(200));
                lastPollNanos = System.nanoTime();
                for (final ConsumerRecord<byte[], byte[]> r : polled) {
                    final TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (rewound.contains(tp)) {
                        continue; // seeked back after a failed batch: these records come again
                    }
                    write(r);
                    final Batch b = batches.get(tp);
                    if (b != null && full(b)) {
                        if (b.files.size() >= config.maxOpenFiles() && b.rows < config.maxRows()) {
                            tooWide(tp, b);
                        }
                        flush(k, tp);
                    }
                }
                for (final TopicPartition tp : List.copyOf(batches.keySet())) {
                    if (due(batches.get(tp))) {
                        flush(k, tp);
                    }
                }
            }
            for (final TopicPartition tp : List.copyOf(batches.keySet())) {
                flush(k, tp);
            }
        }

        private void write(final ConsumerRecord<byte[], byte[]> r) {
            final TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            final Batch b = batches.computeIfAbsent(tp, x -> new Batch());
            if (b.first < 0) {
                b.first = r.offset();
            }
            b.last = r.offset();
            final Table table = Table.ofTopic(r.topic());
            final byte[] value = r.value();
            if (value == null) {
                return;
            }
            final AvroDeserializer<org.apache.avro.generic.IndexedRecord> decoder = decoders.get(table);
            org.apache.avro.generic.IndexedRecord rec = null;
            Transcoder.Key key = null;
            try {
                // A registry that is down delays the record; it never makes a good record a dead letter.
                final Schema writerSchema = RegistryRetry.whileUnavailable(() -> decoder.writerSchema(r.topic(), value),
                        () -> running, e -> LOG.warn("Schema registry unavailable decoding {}-{}@{}; retrying: {}",
                                r.topic(), r.partition(), r.offset(), e.getMessage()));
                if (transcodable(table, writerSchema)) {
                    // The table's own schema (steady state): checked whole, then written straight from the payload.
                    try {
                        key = OpenFile.transcoder(table).check(cursor.reset(value, WireFormat.HEADER_SIZE,
                                value.length - WireFormat.HEADER_SIZE));
                    } catch (final Transcoder.CorruptPayload e) {
                        throw AvroDeserializer.corrupt(r.topic(), WireFormat.schemaId(value), value.length, e);
                    }
                } else {
                    // Another version: resolved to the table's schema as a record.
                    rec = RegistryRetry.whileUnavailable(() -> decoder.deserialize(r.topic(), value),
                            () -> running, e -> LOG.warn("Schema registry unavailable decoding {}-{}@{}; retrying: {}",
                                    r.topic(), r.partition(), r.offset(), e.getMessage()));
                }
            } catch (final RuntimeException e) {
                deadLetter(r, e);
                return;
            }
            final String dir = key != null ? partitionDir(table, key.cluster(), key.timeMillis())
                    : partitionDir(table, table.cluster(rec), table.time(rec).toEpochMilli());
            try {
                OpenFile f = b.files.get(dir);
                if (f == null) {
                    f = new OpenFile(table, dir, store.staging(), r.topic(), r.partition(), r.offset(), config.codec());
                    b.files.put(dir, f);
                }
                if (key != null) {
                    f.write(value, WireFormat.HEADER_SIZE, value.length - WireFormat.HEADER_SIZE);
                } else {
                    f.write(rec);
                }
                b.rows++;
            } catch (final IOException e) {
                throw new IllegalStateException("Cannot write to staging " + store.staging() + ": " + e.getMessage(), e);
            }
        }

        /** A row's directory, remembered per table and cluster for the day last seen (formatting it was 3 % of a row). */
        private String partitionDir(final Table table, final String rowCluster, final long timeMillis) {
            LakeConfig.Layout layout = layouts.get(table);
            if (layout == null) {
                layout = layouts.computeIfAbsent(table, LakeSink.this::layout);
            }
            final boolean byDate = layout == LakeConfig.Layout.DATE;
            final String cluster = byDate ? "" : rowCluster;
            final long day = Math.floorDiv(timeMillis, 86_400_000L);
            final Map<String, DayDir> byCluster = dirs.computeIfAbsent(table, t -> new HashMap<>());
            final DayDir known = byCluster.get(cluster);
            if (known != null && known.day() == day) {
                return known.dir();
            }
            final String dir = byDate ? FileNames.dateDir(table.dir, Instant.ofEpochMilli(timeMillis))
                    : FileNames.partitionDir(table.dir, cluster, Instant.ofEpochMilli(timeMillis));
            if (byCluster.size() > 100_000) {
                byCluster.clear();
            }
            byCluster.put(cluster, new DayDir(day, dir));
            return dir;
        }

        /**
         * A batch cut short by max_open_files: more clusters (or days) on one partition than files may be open, so
         * files of a few rows each. Counted, and said at most every ten minutes with what to change.
         */
        private void tooWide(final TopicPartition tp, final Batch b) {
            Counter.builder("replwatch.lake.batches.at.max.open.files").tag("topic", tp.topic()).register(metrics).increment();
            final long now = System.nanoTime();
            if (lastTooWideNanos == 0 || now - lastTooWideNanos >= Duration.ofMinutes(10).toNanos()) {
                lastTooWideNanos = now;
                LOG.warn("{}: batch published at max_open_files ({} files after {} rows, {} per file): more clusters "
                                + "or days on the partition than files may be open. {}", tp, b.files.size(), b.rows,
                        b.rows / Math.max(1, b.files.size()), layouts.get(Table.ofTopic(tp.topic())) == LakeConfig.Layout.CLUSTER_DATE
                                ? "For a fleet this wide, layout: date writes one file per partition and day holding every cluster (in a new lake: a lake keeps one layout)."
                                : "Raise roll.max_open_files (backlog spanning many days).");
            }
        }

        private boolean transcodable(final Table table, final Schema writerSchema) {
            final Boolean known = transcodable.get(writerSchema);
            if (known != null) {
                return known;
            }
            final boolean same = Transcoder.fingerprint(writerSchema) == OpenFile.transcoder(table).fingerprint();
            transcodable.put(writerSchema, same);
            return same;
        }

        private boolean due(final Batch b) {
            if (b.first < 0) {
                return false;
            }
            if (full(b)) {
                return true;
            }
            if (System.nanoTime() - b.openedNanos >= config.maxAge().toNanos()) {
                return true;
            }
            long bytes = 0;
            for (final OpenFile f : b.files.values()) {
                bytes += f.bytes();
            }
            return bytes >= config.maxBytes();
        }

        /** Rows or open files at their limit: checked after every record, so memory stays bounded within a poll. */
        private boolean full(final Batch b) {
            return b.rows >= config.maxRows() || b.files.size() >= config.maxOpenFiles();
        }

        /**
         * Closes and publishes every file of the partition's batch, then commits the offset after it. A failure takes
         * back what the batch had already published (the batch is consumed again and published whole, so no row is
         * written twice); a partition no longer this worker's is not published at all (another worker owns its rows
         * now); dead letters of the batch must be acknowledged before its offsets are committed.
         */
        private void flush(final KafkaConsumer<byte[], byte[]> k, final TopicPartition tp) {
            final Batch b = batches.remove(tp);
            if (b == null || b.first < 0) {
                return;
            }
            if (!k.assignment().contains(tp)) {
                // Fenced: the group moved the partition (a flush that outlived max.poll.interval.ms).
                b.files.values().forEach(OpenFile::discard);
                LOG.warn("{} is no longer assigned to this worker; its batch {}..{} is left to the new owner", tp,
                        b.first, b.last);
                return;
            }
            final List<String> published = new java.util.ArrayList<>();
            try {
                for (final OpenFile f : b.files.values()) {
                    f.close();
                    final String key = FileNames.file(f.dir, tp.topic(), tp.partition(), b.first, b.last, writer);
                    checkStillOwned();
                    store.publish(f.staging, key);
                    published.add(key);
                }
                deadLetters.flush();
                if (deadLetterFailed(tp, b)) {
                    throw new IOException("a dead letter of this batch was not acknowledged by Kafka");
                }
                checkStillOwned();
                k.commitSync(Map.of(tp, new OffsetAndMetadata(b.last + 1)));
            } catch (final OutOfTime e) {
                b.files.values().forEach(OpenFile::discard);
                takeBack(published);
                if (k.assignment().contains(tp)) {
                    k.seek(tp, b.first);
                    rewound.add(tp);
                }
                abandoned(tp, b, e.getMessage() + "; took back " + published.size() + " file(s)");
                return;
            } catch (final IOException | org.apache.kafka.common.KafkaException e) {
                b.files.values().forEach(OpenFile::discard);
                takeBack(published);
                // Not committed: the batch is consumed again from its first offset (if the partition is still ours);
                // what the current poll returned after it is skipped, it comes again too.
                if (k.assignment().contains(tp)) {
                    k.seek(tp, b.first);
                    rewound.add(tp);
                }
                LOG.error("Cannot publish a batch of {} to {}: {}; took back {} file(s), retrying from offset {}", tp,
                        store.describe(), e.getMessage(), published.size(), b.first);
                sleepQuietly();
                return;
            }
            filesPublished.addAndGet(published.size());
            rowsWritten.addAndGet(b.rows);
            Counter.builder("replwatch.lake.rows").tag("topic", tp.topic()).register(metrics).increment(b.rows);
            Counter.builder("replwatch.lake.files").tag("topic", tp.topic()).register(metrics).increment(b.files.size());
            LOG.debug("Published {} file(s), {} row(s) of {} offsets {}..{}", b.files.size(), b.rows, tp, b.first, b.last);
        }

        /**
         * Throws when this worker may no longer publish or commit: so long since its last poll that the group may
         * have handed its partitions to another consumer, which reads the batch again from the committed offset.
         */
        private void checkStillOwned() throws OutOfTime {
            final long since = System.nanoTime() - lastPollNanos;
            if (since > publishBudgetNanos) {
                throw new OutOfTime(since / 1_000_000);
            }
        }

        /** Deletes this consumer's files of a batch that will not be committed (their names carry its token). */
        private void takeBack(final List<String> published) {
            for (final String key : published) {
                try {
                    store.delete(key);
                } catch (final IOException d) {
                    // Left for recover(), which deletes files at or after the committed offset on assignment.
                    LOG.warn("Cannot take back {} after a failed batch: {}", key, d.getMessage());
                }
            }
        }

        private void abandoned(final TopicPartition tp, final Batch b, final String why) {
            batchesAbandoned.incrementAndGet();
            Counter.builder("replwatch.lake.batches.abandoned").register(metrics).increment();
            LOG.warn("Batch {}..{} of {} not published: {}; its rows are read again from the committed offset", b.first,
                    b.last, tp, why);
        }

        /** Whether a dead letter sent for {@code tp}'s batch failed (cleared when read). */
        private boolean deadLetterFailed(final TopicPartition tp, final Batch b) {
            return failedDeadLetters.remove(tp) != null;
        }

        /** Deletes files of batches a crash interrupted, so they are written again exactly once. */
        private void recover(final KafkaConsumer<byte[], byte[]> k, final Collection<TopicPartition> parts) {
            final Map<TopicPartition, OffsetAndMetadata> committed = k.committed(Set.copyOf(parts));
            for (final TopicPartition tp : parts) {
                final OffsetAndMetadata c = committed.get(tp);
                final long from = c == null ? 0 : c.offset();
                try {
                    // Staging files of this partition are left from a crash: their rows are consumed again.
                    try (var staged = java.nio.file.Files.list(store.staging())) {
                        for (final java.nio.file.Path f : staged.toList()) {
                            if (f.getFileName().toString().startsWith(tp.topic() + "+" + tp.partition() + "+")) {
                                java.nio.file.Files.deleteIfExists(f);
                            }
                        }
                    }
                    int removed = 0;
                    for (final String key : store.list(Table.ofTopic(tp.topic()).dir + "/")) {
                        final OptionalLong first = FileNames.batchFirst(key, tp.topic(), tp.partition());
                        if (first.isPresent() && first.getAsLong() >= from) {
                            store.delete(key);
                            removed++;
                        }
                    }
                    if (removed > 0) {
                        LOG.info("Removed {} file(s) of {} from an interrupted batch at or after offset {}; rewriting it",
                                removed, tp, from);
                    }
                } catch (final IOException e) {
                    throw new IllegalStateException("Cannot list the lake at " + store.describe() + ": " + e.getMessage(), e);
                }
            }
        }

        private void deadLetter(final ConsumerRecord<byte[], byte[]> r, final RuntimeException e) {
            Counter.builder("replwatch.lake.dead.letters").register(metrics).increment();
            LOG.warn("Undecodable record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
            final DeadLetter dl = DeadLetter.newBuilder().setStage("lake").setReason(String.valueOf(e.getMessage()))
                    .setErrorClass(e.getClass().getName()).setFailedAt(Instant.now()).setSourceTopic(r.topic())
                    .setSourcePartition(r.partition()).setSourceOffset(r.offset())
                    .setKey(r.key() == null ? null : ByteBuffer.wrap(r.key()))
                    .setValue(r.value() == null ? null : ByteBuffer.wrap(r.value())).build();
            final byte[] value = RegistryRetry.whileUnavailable(() -> deadLetterSerializer.serialize(Topics.DEAD_LETTER, dl),
                    () -> running, x -> LOG.warn("Schema registry unavailable for a dead letter; retrying"));
            final TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            deadLetters.send(new ProducerRecord<>(Topics.DEAD_LETTER, r.key(), value), (md, ex) -> {
                if (ex != null) {
                    // The batch's offsets must not be committed past a dead letter Kafka did not take.
                    failedDeadLetters.put(tp, Boolean.TRUE);
                    LOG.error("Dead letter for {}@{} not written: {}", tp, r.offset(), ex.toString());
                }
            });
        }
    }

    /** A worker past its publish budget (four fifths of max.poll.interval.ms since its last poll). */
    private static final class OutOfTime extends Exception {
        OutOfTime(final long sinceMillis) {
            super(sinceMillis + " ms since this worker last polled, more than 4/5 of max.poll.interval.ms", null,
                    false, false);
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final java.util.concurrent.atomic.AtomicLong restarts = new java.util.concurrent.atomic.AtomicLong();

    /** How many times a failed worker was started again. */
    public long workerRestarts() {
        return restarts.get();
    }

    public long rowsWritten() {
        return rowsWritten.get();
    }

    /** Batches not published because the worker lost (or was about to lose) their partition. */
    public long batchesAbandoned() {
        return batchesAbandoned.get();
    }

    public long filesPublished() {
        return filesPublished.get();
    }

    public boolean running() {
        return running && !workers.isEmpty() && workers.stream().allMatch(w -> w.thread.isAlive());
    }

    /** Stops: publishes what is open, commits, closes. */
    @Override
    public void close() {
        running = false;
        try {
            // Each loop notices within one poll, publishes what is open and commits.
            for (final Worker w : workers) {
                if (!w.stopped.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    final KafkaConsumer<byte[], byte[]> k = w.consumer;
                    if (k != null) {
                        k.wakeup();
                    }
                    w.stopped.await();
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (deadLetters != null) {
            deadLetters.close(Duration.ofSeconds(10));
        }
    }
}
