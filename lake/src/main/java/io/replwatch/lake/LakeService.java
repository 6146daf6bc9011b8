package io.replwatch.lake;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.replwatch.runtime.ops.OpsServer;
import io.replwatch.lake.config.LakeConfig;
import io.replwatch.lake.sink.LakeSink;
import io.replwatch.lake.store.LakeStore;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The running lake sink with /metrics and /health. Lifecycle: construct, {@link #start()}, {@link #close()}. */
public final class LakeService implements AutoCloseable {

    private final LakeConfig config;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private LakeStore store;
    private LakeSink sink;
    private OpsServer ops;

    public LakeService(final LakeConfig config) {
        this.config = config;
    }

    public LakeService start() throws IOException {
        store = config.output().open();
        sink = new LakeSink(config, store, metrics).start();
        ops = OpsServer.start(config.httpBind(), config.httpPort(), metrics::scrape, () -> {
            final Map<String, Object> d = new LinkedHashMap<>();
            d.put("lake", store.describe());
            d.put("rows_written", sink.rowsWritten());
            d.put("files_published", sink.filesPublished());
            d.put("worker_restarts", sink.workerRestarts());
            return new OpsServer.Health(sink.running(), d);
        });
        return this;
    }

    public LakeSink sink() {
        return sink;
    }

    public String lake() {
        return store.describe();
    }

    public int httpPort() {
        return ops == null ? -1 : ops.port();
    }

    @Override
    public void close() {
        if (sink != null) {
            sink.close();
        }
        if (ops != null) {
            ops.close();
        }
        if (store != null) {
            store.close();
        }
    }
}
