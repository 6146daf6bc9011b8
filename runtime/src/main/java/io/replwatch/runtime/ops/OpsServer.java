package io.replwatch.runtime.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operations endpoints every replwatch service exposes: {@code GET /metrics} (Prometheus text format) and
 * {@code GET /health} (JSON; 200 when healthy, 503 otherwise), plus the routes a service adds. Built on the JDK's
 * HTTP server: a few endpoints do not justify a web framework in a collector meant to stay small.
 *
 * <p>Hardened against clients that do not play along: a pool of {@link #THREADS} handler threads, so that a few
 * connections sending a request slowly cannot keep {@code /health} from answering; a request must arrive whole
 * within {@link #MAX_REQUEST_SECONDS} and a response be taken within {@link #MAX_RESPONSE_SECONDS}, or the
 * connection is closed; at most {@link #MAX_HEADERS} request headers. The server binds the address it is given:
 * services default to loopback ({@code http_bind}).
 */
public final class OpsServer implements AutoCloseable {

    /** Handler threads: more than the slow or stuck connections a test holds open (ten), few enough to stay small. */
    public static final int THREADS = 32;
    /** Seconds a client has to send its whole request. */
    public static final int MAX_REQUEST_SECONDS = 10;
    /** Seconds a client has to take its whole response. */
    public static final int MAX_RESPONSE_SECONDS = 30;
    /** Request headers accepted at most. */
    public static final int MAX_HEADERS = 100;

    /** Every service's {@code http_bind} key: loopback unless the operator says otherwise. */
    public static final io.replwatch.runtime.config.ConfigKey<String> BIND = io.replwatch.runtime.config.ConfigKey.string(
            "http_bind", "127.0.0.1", "address the HTTP listener binds: loopback by default; `0.0.0.0` for every "
                    + "interface (in a container, behind its published port)");

    static {
        // The JDK server reads these once, when its first instance is made; a value set on the command line wins.
        System.setProperty("sun.net.httpserver.maxReqTime",
                System.getProperty("sun.net.httpserver.maxReqTime", String.valueOf(MAX_REQUEST_SECONDS)));
        System.setProperty("sun.net.httpserver.maxRspTime",
                System.getProperty("sun.net.httpserver.maxRspTime", String.valueOf(MAX_RESPONSE_SECONDS)));
        System.setProperty("sun.net.httpserver.maxReqHeaders",
                System.getProperty("sun.net.httpserver.maxReqHeaders", String.valueOf(MAX_HEADERS)));
    }

    /** What /health reports. */
    public record Health(boolean healthy, Map<String, Object> details) {
    }

    private final HttpServer server;

    private OpsServer(final HttpServer server) {
        this.server = server;
    }

    /**
     * Serves on {@code bind:port} (port 0 picks a free one). Extra routes map a path to a JSON body supplier.
     */
    public static OpsServer start(final String bind, final int port, final Supplier<String> metrics,
                                  final Supplier<Health> health) {
        try {
            final HttpServer s = HttpServer.create(new InetSocketAddress(bind, port), 64);
            s.setExecutor(Executors.newFixedThreadPool(THREADS, r -> {
                final Thread t = new Thread(r, "replwatch-ops-http");
                t.setDaemon(true);
                return t;
            }));
            final ObjectMapper json = new ObjectMapper();
            s.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.get()));
            s.createContext("/health", ex -> {
                final Health h = health.get();
                final Map<String, Object> body = new java.util.LinkedHashMap<>();
                body.put("status", h.healthy() ? "UP" : "DOWN");
                body.putAll(h.details());
                respond(ex, h.healthy() ? 200 : 503, "application/json", json.writeValueAsString(body));
            });
            s.start();
            return new OpsServer(s);
        } catch (final IOException e) {
            throw new IllegalStateException("Cannot serve /metrics and /health on " + bind + ":" + port + ": "
                    + e.getMessage() + " (port taken? set another http_port)", e);
        }
    }

    /** Adds a raw handler (any method) for a path prefix. */
    public void handle(final String path, final com.sun.net.httpserver.HttpHandler handler) {
        server.createContext(path, handler);
    }

    /** Writes a response body (JSON or text) with its status. */
    public static void reply(final HttpExchange ex, final int status, final String contentType, final String body)
            throws IOException {
        respond(ex, status, contentType, body);
    }

    /** Adds a JSON GET route. */
    public void route(final String path, final java.util.function.Function<String, Object> handler) {
        final ObjectMapper json = new ObjectMapper();
        server.createContext(path, ex -> {
            final Object body;
            try {
                body = handler.apply(ex.getRequestURI().getPath());
            } catch (final RuntimeException e) {
                // For example a state store that is migrating during a rebalance: try again shortly.
                respond(ex, 503, "application/json", json.writeValueAsString(Map.of("error",
                        e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()))));
                return;
            }
            if (body == null) {
                respond(ex, 404, "application/json", "{\"error\":\"not found\"}");
            } else {
                respond(ex, 200, "application/json", json.writeValueAsString(body));
            }
        });
    }

    private static void respond(final HttpExchange ex, final int status, final String type, final String body)
            throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The address and port it listens on. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
