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
            final int bound = s.getAddress().getPort();
            s.setExecutor(Executors.newFixedThreadPool(8, r -> {
                final Thread t = new Thread(r, "replwatch-status-page");
                t.setDaemon(true);
                return t;
            }));
            s.createContext("/", ex -> {
                if (!trusted(ex, bound)) {
                    return;
                }
                if (!ex.getRequestURI().getPath().equals("/")) {
                    reply(ex, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
                } else {
                    reply(ex, 200, "text/html; charset=utf-8", page);
                }
            });
            s.createContext("/api/status", ex -> {
                if (!trusted(ex, bound)) {
                    return;
                }
                final Map<String, Object> body = new LinkedHashMap<>(info);
                body.putAll(feed.snapshot());
                reply(ex, 200, "application/json", JSON.writeValueAsBytes(body));
            });
            s.createContext("/webhook", ex -> {
                if (!trusted(ex, bound)) {
                    return;
                }
                if (!"POST".equals(ex.getRequestMethod())) {
                    reply(ex, 405, "text/plain", new byte[0]);
                    return;
                }
                final String type = ex.getRequestHeaders().getFirst("Content-Type");
                if (type == null || !type.startsWith("application/json")) {
                    reply(ex, 415, "text/plain", "application/json only".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                final byte[] raw = ex.getRequestBody().readNBytes(MAX_BODY + 1);
                if (raw.length > MAX_BODY) {
                    reply(ex, 413, "text/plain", new byte[0]);
                    return;
                }
                final JsonNode n = JSON.readTree(raw);
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

    /** Largest webhook body accepted. */
    static final int MAX_BODY = 256 * 1024;

    /**
     * Whether the request is this machine's own: the Host header names the loopback address the page listens on
     * (a DNS-rebinding page on another name is refused) and an Origin, when a browser sends one, is that same page
     * (no other web page can feed notifications in or read the status). Answers 403 itself when not.
     */
    static boolean trusted(final HttpExchange ex, final int port) throws IOException {
        final java.util.Set<String> own = java.util.Set.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port);
        final String host = ex.getRequestHeaders().getFirst("Host");
        final String origin = ex.getRequestHeaders().getFirst("Origin");
        final boolean ok = host != null && own.contains(host.toLowerCase(java.util.Locale.ROOT))
                && (origin == null || own.contains(origin.toLowerCase(java.util.Locale.ROOT).replaceFirst("^http://", "")));
        if (!ok) {
            reply(ex, 403, "text/plain", "only this machine's own page may use this address".getBytes(StandardCharsets.UTF_8));
        }
        return ok;
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
