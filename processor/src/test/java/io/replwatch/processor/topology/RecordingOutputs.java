package io.replwatch.processor.topology;

import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.WalThroughput;
import java.util.ArrayList;
import java.util.List;

/** What the stages under test published, in order, per output. */
final class RecordingOutputs implements Outputs {

    final List<WalThroughput> wal = new ArrayList<>();
    final List<LagRate> lagRates = new ArrayList<>();
    final List<java.util.Map.Entry<String, LagRate>> logicalConsumers = new ArrayList<>();
    final List<HealthTransition> transitions = new ArrayList<>();
    final List<NodeHealth> nodeHealth = new ArrayList<>();
    final List<CapacityRollup> rollups = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();

    @Override
    public void walThroughput(final String cluster, final WalThroughput value, final long timestamp) {
        wal.add(value);
    }

    @Override
    public void lagRate(final String cluster, final LagRate value, final long timestamp) {
        lagRates.add(value);
    }

    @Override
    public void logicalConsumer(final String key, final LagRate value, final long timestamp) {
        logicalConsumers.add(new java.util.AbstractMap.SimpleEntry<>(key, value));
    }

    @Override
    public void transition(final String cluster, final HealthTransition value, final long timestamp) {
        transitions.add(value);
    }

    @Override
    public void nodeHealth(final String nodeKey, final NodeHealth value, final long timestamp) {
        nodeHealth.add(value);
    }

    @Override
    public void rollup(final String cluster, final CapacityRollup value, final long timestamp) {
        rollups.add(value);
    }

    @Override
    public void deadLetter(final String key, final DeadLetter value, final long timestamp) {
        deadLetters.add(value);
    }
}
