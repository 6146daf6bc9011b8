package io.replwatch.collector.patroni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.avro.PatroniInfo;
import io.replwatch.avro.PatroniMember;
import io.replwatch.avro.PatroniSelf;
import io.replwatch.collector.config.PatroniConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a Patroni cluster through its REST API: {@code /cluster} and {@code /config} once per poll interval (from
 * the first endpoint that answers: the configured ones, then the members' own), and a member's {@code /patroni}
 * beside its SQL poll. Never throws: an endpoint that does not answer is a reason in the sample.
 */
public final class PatroniSource {

    private static final Logger LOG = LoggerFactory.getLogger(PatroniSource.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PatroniConfig config;
    private final HttpClient http;
    private final LongSupplier clock;
    private final String authorization;
    private final AtomicReference<PatroniInfo> current = new AtomicReference<>();
    /** The last read that answered: its members' addresses stay usable while no endpoint answers. */
    private final AtomicReference<PatroniInfo> lastGood = new AtomicReference<>();
    private volatile String lastError;

    public PatroniSource(final PatroniConfig config, final LongSupplier clock) {
        this.config = config;
        this.clock = clock;
        final HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(config.timeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (config.caFile() != null) {
            b.sslContext(sslContext(Path.of(config.caFile())));
        }
        this.http = b.build();
        this.authorization = config.username() == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                (config.username() + ":" + (config.password() == null ? "" : config.password()))
                        .getBytes(StandardCharsets.UTF_8));
    }

    public PatroniConfig config() {
        return config;
    }

    /** The last read of the cluster; null before the first. */
    public PatroniInfo current() {
        return current.get();
    }

    /** Reads {@code /cluster} and {@code /config} now; keeps and returns the result (with {@code error} when none answered). */
    public PatroniInfo refresh() {
        final long now = clock.getAsLong();
        final List<String> tried = new ArrayList<>();
        for (final String base : endpoints()) {
            try {
                final JsonNode cluster = get(base + "/cluster");
                JsonNode cfg = null;
                try {
                    cfg = get(base + "/config");
                } catch (final IOException e) {
                    // The cluster view alone still says most; synchronous_mode is then unknown.
                }
                final PatroniInfo info = parse(cluster, cfg, now);
                current.set(info);
                lastGood.set(info);
                if (lastError != null) {
                    LOG.info("{}: Patroni answers again at {}", config.cluster(), base);
                    lastError = null;
                }
                return info;
            } catch (final IOException e) {
                tried.add(base + ": " + reason(e));
            }
        }
        final String error = "no Patroni endpoint answered /cluster (" + String.join("; ", tried) + ")";
        if (!error.equals(lastError)) {
            LOG.warn("{}: {}", config.cluster(), error);
            lastError = error;
        }
        // The members' own /patroni still answers while /cluster hangs on a DCS that is down: the leader key's ttl
        // of the last good read is kept, so that how long each member has not reached the DCS can be judged.
        final PatroniInfo good = lastGood.get();
        final PatroniInfo failed = PatroniInfo.newBuilder().setReadAt(Instant.ofEpochMilli(now)).setError(error)
                .setScope(config.cluster()).setTtlS(good == null ? null : good.getTtlS())
                .build();
        current.set(failed);
        return failed;
    }

    /** The configured endpoints, then the members' own REST addresses from the last good read. */
    List<String> endpoints() {
        final Set<String> all = new LinkedHashSet<>();
        config.endpoints().forEach(e -> all.add(e.endsWith("/") ? e.substring(0, e.length() - 1) : e));
        final PatroniInfo info = lastGood.get();
        if (info != null) {
            for (final PatroniMember m : info.getMembers()) {
                if (m.getApiUrl() != null) {
                    all.add(base(m.getApiUrl()));
                }
            }
        }
        return List.copyOf(all);
    }

    /** {@code http://h:p/patroni} to {@code http://h:p}. */
    static String base(final String apiUrl) {
        final int slash = apiUrl.indexOf('/', apiUrl.indexOf("//") + 2);
        return slash < 0 ? apiUrl : apiUrl.substring(0, slash);
    }

    /** The member's own {@code /patroni}, read asynchronously; null when the member's address is unknown. */
    public CompletableFuture<PatroniSelf> self(final String member) {
        final PatroniInfo info = lastGood.get();
        String url = null;
        if (info != null) {
            for (final PatroniMember m : info.getMembers()) {
                if (m.getName().equals(member) && m.getApiUrl() != null) {
                    url = m.getApiUrl();
                }
            }
        }
        if (url == null) {
            return CompletableFuture.completedFuture(null);
        }
        final String target = url;
        return http.sendAsync(request(target), HttpResponse.BodyHandlers.ofString())
                .thenApply(r -> {
                    // /patroni answers 503 while PostgreSQL is not running: the body still says why.
                    try {
                        final JsonNode body = JSON.readTree(r.body());
                        if (body != null && body.isObject() && body.has("state")) {
                            return parseSelf(body);
                        }
                    } catch (final IOException e) {
                        // not JSON: said below
                    }
                    return PatroniSelf.newBuilder().setError("HTTP " + r.statusCode() + ": not Patroni's JSON").build();
                })
                .exceptionally(e -> PatroniSelf.newBuilder().setError(base(target) + ": " + reason(
                        e.getCause() == null ? e : e.getCause())).build());
    }

    private HttpRequest request(final String url) {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(config.timeout()).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    private JsonNode get(final String url) throws IOException {
        try {
            final HttpResponse<String> r = http.send(request(url), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("HTTP " + r.statusCode());
            }
            final JsonNode body = JSON.readTree(r.body());
            if (body == null || !body.isObject()) {
                throw new IOException("HTTP 200 but not a JSON object");
            }
            return body;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String reason(final Throwable e) {
        final String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : " " + m);
    }

    /** {@code /cluster} and {@code /config} (null when it did not answer) as a sample's Patroni part. */
    public static PatroniInfo parse(final JsonNode cluster, final JsonNode config, final long readAt) {
        final PatroniInfo.Builder b = PatroniInfo.newBuilder().setReadAt(Instant.ofEpochMilli(readAt))
                .setPaused(cluster.path("pause").asBoolean(false));
        final List<PatroniMember> members = new ArrayList<>();
        for (final JsonNode m : cluster.path("members")) {
            final String name = text(m, "name");
            if (name == null) {
                continue;
            }
            final String role = role(text(m, "role"));
            final JsonNode tags = m.path("tags");
            final JsonNode lag = m.path("lag");
            members.add(PatroniMember.newBuilder()
                    .setName(name)
                    .setRole(role == null ? "unknown" : role)
                    .setState(m.path("state").asText("unknown"))
                    .setHost(text(m, "host"))
                    .setPort(m.path("port").isNumber() ? m.path("port").asInt() : null)
                    .setApiUrl(text(m, "api_url"))
                    .setTimeline(m.path("timeline").isNumber() ? m.path("timeline").asInt() : null)
                    .setLag(lag.isNumber() ? lag.asLong() : null)
                    .setNofailover(tags.path("nofailover").asBoolean(false))
                    .setNoloadbalance(tags.path("noloadbalance").asBoolean(false))
                    .setNosync(tags.path("nosync").asBoolean(false))
                    .setClonefrom(tags.path("clonefrom").asBoolean(false))
                    .setPendingRestart(m.path("pending_restart").asBoolean(false))
                    .build());
            if ("leader".equals(role) || "standby_leader".equals(role)) {
                b.setLeader(name);
            }
        }
        b.setMembers(members);
        final JsonNode sw = cluster.path("scheduled_switchover");
        if (sw.isObject()) {
            b.setScheduledSwitchoverAt(time(text(sw, "at")));
            b.setScheduledSwitchoverTo(text(sw, "to"));
        }
        if (config != null) {
            b.setSynchronousMode(config.path("synchronous_mode").asBoolean(false))
                    .setSynchronousModeStrict(config.path("synchronous_mode_strict").asBoolean(false))
                    .setMaximumLagOnFailover(config.path("maximum_lag_on_failover").isNumber()
                            ? config.path("maximum_lag_on_failover").asLong() : 1_048_576L)
                    .setTtlS(config.path("ttl").isNumber() ? config.path("ttl").asInt() : 30);
        }
        final JsonNode scope = cluster.path("scope");
        b.setScope(scope.isTextual() ? scope.asText() : null);
        return b.build();
    }

    /** A member's {@code /patroni}. */
    public static PatroniSelf parseSelf(final JsonNode p) {
        final JsonNode lastSeen = p.path("dcs_last_seen");
        return PatroniSelf.newBuilder()
                .setState(text(p, "state"))
                .setRole(role(text(p, "role")))
                .setPendingRestart(p.path("pending_restart").asBoolean(false))
                .setPaused(p.path("pause").asBoolean(false))
                .setClusterUnlocked(p.path("cluster_unlocked").asBoolean(false))
                .setDcsLastSeen(lastSeen.isNumber() && lastSeen.asLong() > 0
                        ? Instant.ofEpochSecond(lastSeen.asLong()) : null)
                .setTimeline(p.path("timeline").isNumber() ? p.path("timeline").asInt() : null)
                .setVersion(text(p.path("patroni"), "version"))
                .setPostmasterStart(time(text(p, "postmaster_start_time")))
                .build();
    }

    /** Patroni 3 says master (in /patroni) and leader (in /cluster), Patroni 4 primary: all are the leader here. */
    static String role(final String role) {
        if (role == null) {
            return null;
        }
        return switch (role) {
            case "master", "primary", "leader" -> "leader";
            default -> role;
        };
    }

    private static String text(final JsonNode n, final String field) {
        final JsonNode v = n.path(field);
        return v.isValueNode() && !v.isNull() ? v.asText() : null;
    }

    private static Instant time(final String iso) {
        if (iso == null) {
            return null;
        }
        try {
            // Patroni writes "2026-11-27 18:10:22.123456+00:00" for postmaster_start_time, ISO elsewhere.
            return OffsetDateTime.parse(iso.replace(' ', 'T')).toInstant();
        } catch (final RuntimeException e) {
            return null;
        }
    }

    private static SSLContext sslContext(final Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            final KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (final Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, c);
            }
            final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            final SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (final IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("Cannot read the Patroni CA file " + caFile + ": " + e.getMessage(), e);
        }
    }
}
