package io.replwatch.processor.topology;

/** What the topology counts beyond Kafka Streams' own metrics. The service binds it to Micrometer. */
public interface ProcessorMetrics {

    /** A sample whose collector's clock was off by more than the skew window. */
    void clockSkewed();

    ProcessorMetrics NONE = () -> { };
}
