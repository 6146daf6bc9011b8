package io.replwatch.processor.config;

/**
 * Where the processor's state stores keep their data between changelog writes. Either way every change goes to
 * a changelog topic and the processor works from its own in-memory copy; {@link #MEMORY} (the default) saves
 * RocksDB's write path on every sample (about 10 % of throughput, BENCHMARKS.md) and costs a changelog restore at
 * start-up; {@link #ROCKSDB} restores from local disk after a clean restart.
 */
public enum StoreKind { MEMORY, ROCKSDB }
