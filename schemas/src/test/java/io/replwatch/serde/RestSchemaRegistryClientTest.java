package io.replwatch.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.schemas.SampleFixtures;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The REST client's HTTP behaviour (status classes, retries, auth, redaction, caching) against scripted answers
 * from a loopback HTTP server. Compatibility with a real registry is proven in the sandbox's ITs.
 */
class RestSchemaRegistryClientTest {

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    private record Answer(int status, String body) {
    }

    private String start(final Function<HttpExchange, Answer> handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            requests.add(ex.getRequestMethod() + " " + ex.getRequestURI());
            authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            ex.getRequestBody().readAllBytes();
            final Answer a = handler.apply(ex);
            final byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(a.status(), body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static RestSchemaRegistryClient client(final String url, final Map<String, String> extra) {
        final Map<String, Object> props = new java.util.HashMap<>(extra);
        props.put(SerdeConfig.SCHEMA_REGISTRY_URL, url);
        props.put(SerdeConfig.RETRY_BACKOFF_MS, "5");
        props.put(SerdeConfig.RETRY_BACKOFF_MAX_MS, "20");
        return new RestSchemaRegistryClient(new SerdeConfig(props));
    }

    @Test
    void retriesA503AndThenSucceeds() throws IOException {
        final AtomicInteger calls = new AtomicInteger();
        final String url = start(ex -> calls.incrementAndGet() < 3
                ? new Answer(503, "{\"error_code\":50003,\"message\":\"overloaded\"}")
                : new Answer(200, "{\"id\":7}"));
        assertThat(client(url, Map.of()).register("s-value", ReplicationSample.SCHEMA$)).isEqualTo(7);
        assertThat(requests).hasSize(3).allMatch(r -> r.equals("POST /subjects/s-value/versions"));
    }

    @Test
    void givesUpAfterBoundedRetriesNamingTheUrlWithoutCredentials() throws IOException {
        final String url = start(ex -> new Answer(500, "{\"error_code\":50001,\"message\":\"store down\"}"));
        final String withCreds = url.replace("http://", "http://alice:s3cr3t@");
        assertThatThrownBy(() -> client(withCreds, Map.of(SerdeConfig.MAX_RETRIES, "2")).getById(1))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining(url.replace("http://", "http://"))
                .hasMessageContaining("500")
                .hasMessageContaining("store down")
                .hasMessageNotContaining("s3cr3t")
                .hasMessageNotContaining("alice");
        assertThat(requests).hasSize(3);
    }

    @Test
    void unreachableRegistryIsRetriedThenNamed() throws IOException {
        final int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> client("http://bob:hunter2@127.0.0.1:" + port, Map.of(SerdeConfig.MAX_RETRIES, "1"))
                .getById(1))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("unreachable")
                .hasMessageContaining("127.0.0.1:" + port)
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void incompatibleSchemaFailsAtOnceQuotingTheRegistry() throws IOException {
        final String url = start(ex -> new Answer(409,
                "{\"error_code\":409,\"message\":\"Schema being registered is incompatible with an earlier schema\"}"));
        assertThatThrownBy(() -> client(url, Map.of()).register("s-value", ReplicationSample.SCHEMA$))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("409")
                .hasMessageContaining("incompatible with an earlier schema")
                .satisfies(e -> assertThat(((RegistryException) e).retriable()).isFalse());
        // No retries; one lookup in case a concurrent client registered the same schema a moment before.
        assertThat(requests).containsExactly("POST /subjects/s-value/versions", "POST /subjects/s-value");
    }

    @Test
    void aConflictFromAConcurrentRegistrationResolvesToTheExistingId() throws IOException {
        final String url = start(ex -> ex.getRequestURI().getPath().endsWith("/versions")
                ? new Answer(409, "{\"error_code\":409,\"message\":\"An artifact already exists\"}")
                : new Answer(200, "{\"subject\":\"s-value\",\"id\":42,\"version\":1}"));
        assertThat(client(url, Map.of()).register("s-value", ReplicationSample.SCHEMA$)).isEqualTo(42);
    }

    @Test
    void invalidSchemaFailsAtOnceQuotingTheRegistry() throws IOException {
        final String url = start(ex -> new Answer(422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}"));
        assertThatThrownBy(() -> client(url, Map.of()).register("s-value", ReplicationSample.SCHEMA$))
                .hasMessageContaining("422").hasMessageContaining("42201").hasMessageContaining("Invalid schema");
        assertThat(requests).hasSize(1);
    }

    @Test
    void sendsBasicAuthFromUserInfoOrUrl() throws IOException {
        final String url = start(ex -> new Answer(200, "{\"schema\":\"\\\"string\\\"\"}"));
        client(url, Map.of(SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO",
                SerdeConfig.BASIC_AUTH_USER_INFO, "svc:pw")).getById(1);
        client(url.replace("http://", "http://u2:p2@"), Map.of()).getById(2);
        assertThat(authorizations).containsExactly(
                "Basic " + java.util.Base64.getEncoder().encodeToString("svc:pw".getBytes(StandardCharsets.UTF_8)),
                "Basic " + java.util.Base64.getEncoder().encodeToString("u2:p2".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void serdeMakesNoHttpCallAfterTheFirstRecord() throws IOException {
        final String schemaJson = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("schema", ReplicationSample.SCHEMA$.toString()).toString();
        final String url = start(ex -> ex.getRequestMethod().equals("POST")
                ? new Answer(200, "{\"id\":3}") : new Answer(200, schemaJson));
        final Map<String, Object> props = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url);
        final AvroSerializer<ReplicationSample> ser = new AvroSerializer<>();
        ser.configure(props, false);
        final AvroDeserializer<ReplicationSample> de = new AvroDeserializer<>(ReplicationSample.class);
        de.configure(props, false);
        for (int i = 0; i < 100; i++) {
            final ReplicationSample s = SampleFixtures.primaryWithTwoStandbys(i);
            assertThat(SampleFixtures.content(de.deserialize("t", ser.serialize("t", s)))).isEqualTo(SampleFixtures.content(s));
        }
        // Serializer and deserializer with the same settings share one cached client: the id is known already.
        assertThat(requests).containsExactly("POST /subjects/t-value/versions");

        // A consumer elsewhere (its own client) fetches the writer schema once, then decodes from its cache.
        final AvroDeserializer<ReplicationSample> remote = new AvroDeserializer<>(ReplicationSample.class);
        remote.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url, SerdeConfig.REQUEST_TIMEOUT_MS, "9999"), false);
        final byte[] bytes = ser.serialize("t", SampleFixtures.primaryWithTwoStandbys(5));
        for (int i = 0; i < 100; i++) {
            assertThat(remote.deserialize("t", bytes).getNode()).isEqualTo("orders-eu-1");
        }
        assertThat(requests).containsExactly("POST /subjects/t-value/versions", "GET /schemas/ids/3");
    }

    @Test
    void unknownIdThroughTheDeserializerSaysSo() throws IOException {
        final String url = start(ex -> new Answer(404, "{\"error_code\":40403,\"message\":\"Schema 12 not found\"}"));
        final AvroDeserializer<ReplicationSample> de = new AvroDeserializer<>(ReplicationSample.class);
        de.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, url), false);
        assertThatThrownBy(() -> de.deserialize("t", new byte[] {0, 0, 0, 0, 12, 1}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Unknown schema id 12")
                .hasMessageContaining("40403");
        assertThat(requests).hasSize(1);
    }
}
