package io.replwatch.lake.sink;

import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.schemas.Topics;
import java.time.Instant;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/** A lake table: which topic feeds it, its schema, and the time that picks a row's date partition. */
public enum Table {
    SAMPLES("samples", Topics.SAMPLES, ReplicationSample.getClassSchema(), ReplicationSample.class, "sampled_at"),
    ROLLUPS("rollups", Topics.ROLLUPS, CapacityRollup.getClassSchema(), CapacityRollup.class, "period_start");

    public final String dir;
    public final String topic;
    public final Schema schema;
    public final Class<? extends SpecificRecord> type;
    /** The field naming a row's cluster, and the time field that picks its date partition. */
    public final String clusterField = "cluster";
    public final String timeField;

    Table(final String dir, final String topic, final Schema schema, final Class<? extends SpecificRecord> type,
          final String timeField) {
        this.dir = dir;
        this.topic = topic;
        this.schema = schema;
        this.type = type;
        this.timeField = timeField;
    }

    public static Table ofTopic(final String topic) {
        for (final Table t : values()) {
            if (t.topic.equals(topic)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no lake table for topic " + topic);
    }

    public String cluster(final org.apache.avro.generic.IndexedRecord r) {
        if (r instanceof ReplicationSample s) {
            return s.getCluster();
        }
        if (r instanceof CapacityRollup c) {
            return c.getCluster();
        }
        return r.get(schema.getField(clusterField).pos()).toString();
    }

    /** The time that picks the row's date partition: sampled_at, or a rollup's period_start. */
    public Instant time(final org.apache.avro.generic.IndexedRecord r) {
        if (r instanceof ReplicationSample s) {
            return s.getSampledAt();
        }
        if (r instanceof CapacityRollup c) {
            return c.getPeriodStart();
        }
        final Object t = r.get(schema.getField(timeField).pos());
        return t instanceof Instant i ? i : Instant.ofEpochMilli(((Number) t).longValue());
    }
}
