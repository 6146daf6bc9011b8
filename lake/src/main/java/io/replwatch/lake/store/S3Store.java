package io.replwatch.lake.store;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A lake in an S3-compatible object store (AWS S3, MinIO, Ceph, S3Proxy ...). Credentials come from the
 * environment through the AWS SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, IAM
 * roles); they never appear in configuration or logs. A file is uploaded with one PUT: S3 shows an object
 * only when the upload completed.
 */
public final class S3Store implements LakeStore {

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final Path staging;
    private final String endpoint;

    public S3Store(final URI endpoint, final String region, final String bucket, final String prefix,
                   final boolean pathStyle, final Path staging, final AwsCredentialsProvider credentials)
            throws IOException {
        final var b = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.of(region))
                .credentialsProvider(credentials == null ? DefaultCredentialsProvider.builder().build() : credentials)
                .forcePathStyle(pathStyle)
                // Compatible stores do not all speak the newest checksum trailers; send them only when required.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (endpoint != null) {
            b.endpointOverride(endpoint);
        }
        this.s3 = b.build();
        this.bucket = bucket;
        this.prefix = prefix == null || prefix.isEmpty() ? "" : (prefix.endsWith("/") ? prefix : prefix + "/");
        this.staging = staging;
        this.endpoint = (endpoint == null ? "s3" : endpoint.getScheme() + "://" + endpoint.getHost()
                + (endpoint.getPort() > 0 ? ":" + endpoint.getPort() : "")) + "/" + bucket + "/" + this.prefix;
        Files.createDirectories(staging);
    }

    @Override
    public void publish(final Path file, final String key) throws IOException {
        try {
            s3.putObject(PutObjectRequest.builder().bucket(bucket).key(prefix + key).build(), RequestBody.fromFile(file));
        } catch (final SdkException e) {
            throw new IOException("Cannot upload " + key + " to " + endpoint + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage().split("\n")[0]), e);
        }
        Files.deleteIfExists(file);
    }

    @Override
    public void delete(final String key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(prefix + key));
        } catch (final SdkException e) {
            throw new IOException("Cannot delete " + key + " from " + endpoint + ": " + e.getClass().getSimpleName(), e);
        }
    }

    @Override
    public List<String> list(final String sub) throws IOException {
        final List<String> out = new ArrayList<>();
        String token = null;
        try {
            do {
                final ListObjectsV2Response r = s3.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket)
                        .prefix(prefix + sub).continuationToken(token).build());
                for (final S3Object o : r.contents()) {
                    // Only data files: some stores list directory placeholders ("a/b/") as objects.
                    if (o.key().endsWith(".parquet")) {
                        out.add(o.key().substring(prefix.length()));
                    }
                }
                token = r.isTruncated() ? r.nextContinuationToken() : null;
            } while (token != null);
        } catch (final SdkException e) {
            throw new IOException("Cannot list " + endpoint + sub + ": " + e.getClass().getSimpleName(), e);
        }
        return out;
    }

    @Override
    public boolean anyKeyStartingWith(final String keyPrefix) throws IOException {
        try {
            // One page of at most a few keys: placeholders aside, any object under the prefix answers.
            return s3.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix + keyPrefix).maxKeys(10)
                    .build()).contents().stream().anyMatch(o -> o.key().endsWith(".parquet"));
        } catch (final SdkException e) {
            throw new IOException("Cannot list " + endpoint + keyPrefix + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /** Downloads a key to a local file (the capacity report reads S3 lakes through this). */
    public void download(final String key, final Path to) {
        s3.getObject(b -> b.bucket(bucket).key(prefix + key), to);
    }

    @Override
    public Path staging() {
        return staging;
    }

    @Override
    public String describe() {
        return endpoint;
    }

    @Override
    public void close() {
        s3.close();
    }
}
