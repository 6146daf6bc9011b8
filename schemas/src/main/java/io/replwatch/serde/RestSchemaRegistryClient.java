package io.replwatch.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Confluent schema-registry REST client over {@link java.net.http.HttpClient}, without caching (wrap it in
 * {@link CachedSchemaRegistryClient}).
 *
 * <p>Calls that get no answer, a 5xx or a 429 are retried with exponential backoff and jitter up to
 * {@code schema.registry.max.retries} times, moving to the next URL when several are configured. Other 4xx
 * fail at once with the registry's own message. Credentials from the URL's user-info or
 * {@code basic.auth.user.info} go in an Authorization header and never into a message.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Endpoint> endpoints;
    private final AtomicInteger current = new AtomicInteger();
    private final HttpClient http;
    private final SerdeConfig config;
    private final FailsafeExecutor<Object> retry;

    private record Endpoint(String base, String redacted, String authorization) {
    }

    public RestSchemaRegistryClient(final SerdeConfig config) {
        this.config = config;
        this.endpoints = config.urls().stream().map(u -> endpoint(u, config)).toList();
        final HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout())
                .version(HttpClient.Version.HTTP_1_1);
        if (config.truststoreLocation() != null || config.keystoreLocation() != null) {
            builder.sslContext(sslContext(config));
        }
        this.http = builder.build();
        final RetryPolicy<Object> policy = RetryPolicy.builder()
                .handleIf(e -> e instanceof RegistryException re && re.retriable())
                .withBackoff(config.backoff(), config.backoffMax().compareTo(config.backoff()) > 0
                        ? config.backoffMax() : config.backoff().multipliedBy(2))
                .withJitter(0.25)
                .withMaxRetries(config.maxRetries())
                .onRetry(ev -> {
                    current.incrementAndGet();
                    LOG.debug("Retrying schema registry call (attempt {}): {}", ev.getAttemptCount() + 1,
                            ev.getLastException().getMessage());
                })
                .build();
        this.retry = Failsafe.with(policy);
    }

    private static Endpoint endpoint(final String url, final SerdeConfig config) {
        final URI uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        String userInfo = null;
        if ("USER_INFO".equals(config.credentialsSource())) {
            userInfo = config.userInfo();
        } else if (uri.getRawUserInfo() != null) {
            userInfo = java.net.URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
        }
        final String base;
        try {
            base = new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null).toString();
        } catch (final java.net.URISyntaxException e) {
            throw new IllegalArgumentException("Bad schema registry URL " + Redact.url(url), e);
        }
        final String auth = userInfo == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        return new Endpoint(base, Redact.url(base), auth);
    }

    private static SSLContext sslContext(final SerdeConfig config) {
        try {
            TrustManagerFactory tmf = null;
            if (config.truststoreLocation() != null) {
                final KeyStore ts = load(config.truststoreType(), config.truststoreLocation(), config.truststorePassword());
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ts);
            }
            KeyManagerFactory kmf = null;
            if (config.keystoreLocation() != null) {
                final KeyStore ks = load(config.keystoreType(), config.keystoreLocation(), config.keystorePassword());
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, config.keystorePassword() == null ? null : config.keystorePassword().toCharArray());
            }
            final SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ctx;
        } catch (final GeneralSecurityException | IOException e) {
            // The message of a keystore failure can mention the file but never the password.
            throw new RegistryException("Cannot set up TLS for the schema registry: " + e.getClass().getSimpleName()
                    + ": " + Redact.text(e.getMessage()), 0, 0, null);
        }
    }

    private static KeyStore load(final String type, final String location, final String password)
            throws GeneralSecurityException, IOException {
        final KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            ks.load(in, password == null ? null : password.toCharArray());
        }
        return ks;
    }

    /**
     * Registers, or finds the id when the schema is already there. A 409 is answered by a lookup first: another
     * client may have registered the same schema a moment ago, which some registries report as a conflict.
     */
    @Override
    public int register(final String subject, final Schema schema) {
        try {
            final JsonNode body = call("POST", "/subjects/" + enc(subject) + "/versions", schemaBody(schema),
                    "register schema under subject '" + subject + "'");
            return body.path("id").asInt();
        } catch (final RegistryException conflict) {
            if (conflict.status() != 409) {
                throw conflict;
            }
            try {
                return lookup(subject, schema);
            } catch (final RegistryException notThere) {
                throw conflict;
            }
        }
    }

    @Override
    public int lookup(final String subject, final Schema schema) {
        final JsonNode body = call("POST", "/subjects/" + enc(subject), schemaBody(schema),
                "look up schema under subject '" + subject + "'");
        return body.path("id").asInt();
    }

    @Override
    public Schema getById(final int id) {
        final JsonNode body = call("GET", "/schemas/ids/" + id, null, "fetch schema id " + id);
        return parse(body.path("schema").asText(), "schema id " + id);
    }

    @Override
    public SchemaVersion latest(final String subject) {
        final JsonNode body = call("GET", "/subjects/" + enc(subject) + "/versions/latest", null,
                "fetch the latest version of subject '" + subject + "'");
        return new SchemaVersion(subject, body.path("version").asInt(), body.path("id").asInt(),
                parse(body.path("schema").asText(), "subject '" + subject + "'"));
    }

    /** Sets the global compatibility level (BACKWARD, FULL, NONE ...). */
    public void setCompatibility(final String level) {
        final ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        call("PUT", "/config", body.toString(), "set compatibility to " + level);
    }

    private static Schema parse(final String text, final String what) {
        try {
            return new Schema.Parser().parse(text);
        } catch (final SchemaParseException e) {
            throw new RegistryException("Registry returned an unparseable Avro schema for " + what + ": "
                    + e.getMessage(), 200, 0, e);
        }
    }

    private static String schemaBody(final Schema schema) {
        // Avro's compact toString() is deterministic, so the same schema always registers the same text.
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static String enc(final String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode call(final String method, final String path, final String body, final String what) {
        return (JsonNode) retry.get(() -> once(method, path, body, what));
    }

    private JsonNode once(final String method, final String path, final String body, final String what) {
        final Endpoint ep = endpoints.get(Math.floorMod(current.get(), endpoints.size()));
        final HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(ep.base() + path))
                .timeout(config.requestTimeout())
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (ep.authorization() != null) {
            req.header("Authorization", ep.authorization());
        }
        if (body == null) {
            req.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            req.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        final HttpResponse<String> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (final HttpTimeoutException e) {
            throw new RegistryException("Schema registry " + ep.redacted() + " timed out after "
                    + config.requestTimeout().toMillis() + " ms trying to " + what, 0, 0, null);
        } catch (final IOException e) {
            throw new RegistryException("Schema registry " + ep.redacted() + " unreachable trying to " + what + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + Redact.text(e.getMessage())),
                    0, 0, null);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("Interrupted while trying to " + what, 0, 0, e);
        }
        final int status = resp.statusCode();
        if (status / 100 == 2) {
            try {
                return JSON.readTree(resp.body());
            } catch (final IOException e) {
                throw new RegistryException("Schema registry " + ep.redacted() + " answered " + status
                        + " with a body that is not JSON trying to " + what, status, 0, null);
            }
        }
        int errorCode = 0;
        String message = resp.body();
        try {
            final JsonNode err = JSON.readTree(resp.body());
            if (err != null && err.has("error_code")) {
                errorCode = err.path("error_code").asInt();
                message = err.path("message").asText();
            }
        } catch (final IOException ignored) {
            // Not JSON: keep the raw body, trimmed below.
        }
        if (message != null && message.length() > 500) {
            message = message.substring(0, 500) + "...";
        }
        throw new RegistryException("Schema registry " + ep.redacted() + " answered " + status
                + (errorCode != 0 ? " (error_code " + errorCode + ")" : "") + " trying to " + what + ": "
                + Redact.text(message), status, errorCode, null);
    }
}
