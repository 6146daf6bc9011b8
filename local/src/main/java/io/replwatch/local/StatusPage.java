package io.replwatch.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The local status page on loopback: {@code /} (the page, refreshing itself each second from
 * {@code /api/status}), {@code /api/status} (JSON), and {@code /webhook}, the local webhook receiver the
 * alerter delivers to, whose notifications appear in the page's feed.
 */
public final class StatusPage implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;

    private StatusPage(final HttpServer server) {
        this.server = server;
    }

    public static StatusPage start(final int port, final StatusFeed feed, final Map<String, Object> info) {
        final byte[] page;
        try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
            page = in.readAllBytes();
        } catch (final IOException | NullPointerException e) {
            throw new IllegalStateException("status.html missing from the build", e);
        }
        try {
            final HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
            s.setExecutor(Executors.newFixedThreadPool(2, r -> {
                final Thread t = new Thread(r, "replwatch-status-page");
                t.setDaemon(true);
                return t;
            }));
            s.createContext("/", ex -> {
                if (!ex.getRequestURI().getPath().equals("/")) {
                    reply(ex, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
                } else {
                    reply(ex, 200, "text/html; charset=utf-8", page);
                }
            });
            s.createContext("/api/status", ex -> {
                final Map<String, Object> body = new LinkedHashMap<>(info);
                body.putAll(feed.snapshot());
                reply(ex, 200, "application/json", JSON.writeValueAsBytes(body));
            });
            s.createContext("/webhook", ex -> {
                if (!"POST".equals(ex.getRequestMethod())) {
                    reply(ex, 405, "text/plain", new byte[0]);
                    return;
                }
                final JsonNode n = JSON.readTree(ex.getRequestBody());
                final Map<String, Object> m = new LinkedHashMap<>();
                m.put("at", Instant.now().toString());
                m.put("status", n.path("status").asText());
                m.put("severity", n.path("severity").asText());
                m.put("title", n.path("title").asText());
                m.put("text", n.path("text").asText());
                m.put("idempotency_key", ex.getRequestHeaders().getFirst("Idempotency-Key"));
                feed.notification(m);
                reply(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            });
            s.start();
            return new StatusPage(s);
        } catch (final IOException e) {
            throw new IllegalStateException("Cannot serve the status page on 127.0.0.1:" + port + ": " + e.getMessage()
                    + " (use --port to pick another, 0 for any free port)", e);
        }
    }

    private static void reply(final HttpExchange ex, final int status, final String type, final byte[] body)
            throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port() + "/";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
