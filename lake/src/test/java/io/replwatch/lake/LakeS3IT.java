package io.replwatch.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.lake.config.LakeConfig;
import io.replwatch.lake.store.S3Store;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.SampleFixtures;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroTrust;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake sink writing to an S3-compatible object store: S3Proxy (a real S3 API server, here over a local
 * filesystem blob store) on loopback, with signed requests. Credentials reach the sink only through the AWS
 * SDK's default chain (system properties here, the environment in production), never through its config.
 */
class LakeS3IT {

    @Test
    void samplesLandInTheBucketAndReadBack(@TempDir final Path tmp) throws Exception {
        AvroTrust.init();
        final Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", tmp.resolve("blobs").toString());
        final BlobStoreContext ctx = ContextBuilder.newBuilder("filesystem").credentials("lake-key", "lake-secret")
                .overrides(props).build(BlobStoreContext.class);
        ctx.getBlobStore().createContainerInLocation(null, "lake");
        final S3Proxy proxy = S3Proxy.builder().blobStore(ctx.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "lake-key", "lake-secret").build();
        proxy.start();
        System.setProperty("aws.accessKeyId", "lake-key");
        System.setProperty("aws.secretAccessKey", "lake-secret");
        try (Sandbox sandbox = Sandbox.builder().tempDir("lake-s3-it-").postgres(false).start()) {
            await().until(() -> AbstractLifeCycle.STARTED.equals(proxy.getState()));
            final String endpoint = "http://127.0.0.1:" + proxy.getPort();
            final String bootstrap = sandbox.kafka().bootstrapServers();
            try (Admin a = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                a.createTopics(List.of(new NewTopic(Topics.SAMPLES, 2, (short) 1),
                        new NewTopic(Topics.ROLLUPS, 1, (short) 1))).all().get();
            }
            LakeFixtures.produce(bootstrap, sandbox.registry().url(), 0, 1500);
            final LakeConfig cfg = LakeConfig.parse("""
                    group_id: lake-s3-it
                    http_port: 0
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    output: {type: s3, endpoint: "%s", bucket: lake, prefix: replwatch, region: us-east-1,
                             path_style: true, staging: "%s"}
                    roll: {max_rows: 500, max_age: 1s}
                    """.formatted(bootstrap, sandbox.registry().url(), endpoint, tmp.resolve("staging")), k -> null);
            // A lake that already holds cluster_date files keeps that layout (layout: auto, the default): one file of
            // an earlier writer, not one of the sink's own names, so recovery leaves it alone.
            final String legacy = "samples/cluster=old/date=2026-01-01/exported-earlier.parquet";
            try (S3Store s3 = new S3Store(URI.create(endpoint), "us-east-1", "lake", "replwatch", true,
                    tmp.resolve("seed"), null)) {
                final Path seed = tmp.resolve("seed").resolve("x.parquet");
                java.nio.file.Files.writeString(seed, "PAR1");
                s3.publish(seed, legacy);
            }
            final LakeService sink = new LakeService(cfg).start();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> sink.sink().rowsWritten() == 1500);
            } finally {
                sink.close();
            }
            try (S3Store s3 = new S3Store(URI.create(endpoint), "us-east-1", "lake", "replwatch", true,
                    tmp.resolve("read"), null)) {
                final List<String> keys = new java.util.ArrayList<>(s3.list("samples/"));
                assertThat(keys.remove(legacy)).as("the earlier file is left alone").isTrue();
                assertThat(keys).isNotEmpty().allMatch(k -> k.matches("samples/cluster=c\\d/date=\\d{4}-\\d\\d-\\d\\d/"
                        + "replwatch\\.samples\\+\\d\\+\\d+\\+\\d+\\+[0-9a-z]+\\.parquet"));
                final Set<Long> seen = new HashSet<>();
                int n = 0;
                for (final String k : keys) {
                    final Path local = tmp.resolve("read").resolve("f" + n++ + ".parquet");
                    s3.download(k, local);
                    for (final ReplicationSample s : LakeFixtures.<ReplicationSample>read(local)) {
                        assertThat(seen.add(s.getSequence())).as("row %d once", s.getSequence()).isTrue();
                        assertThat(SampleFixtures.content(s))
                                .isEqualTo(SampleFixtures.content(LakeFixtures.sample((int) s.getSequence())));
                    }
                }
                assertThat(seen).hasSize(1500);
            }
        } finally {
            proxy.stop();
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }
}
