package io.replwatch.alerter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** A real HTTP server on loopback that records every request and answers as scripted. */
public final class LocalHttpServer implements AutoCloseable {

    /** One request as received. */
    public record Request(String method, String path, Map<String, List<String>> headers, String body, long receivedNanos) {
        public String header(final String name) {
            for (final Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    /** A scripted answer. */
    public record Answer(int status, Map<String, String> headers, long delayMillis) {
        public static Answer ok() {
            return new Answer(200, Map.of(), 0);
        }

        public static Answer status(final int s) {
            return new Answer(s, Map.of(), 0);
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile Function<Integer, Answer> script = n -> Answer.ok();

    public LocalHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.setExecutor(Executors.newFixedThreadPool(8, r -> {
            final Thread t = new Thread(r, "test-receiver");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    private void handle(final HttpExchange ex) throws IOException {
        final String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        final long at = System.nanoTime();
        final int n = count.incrementAndGet();
        final Answer a = script.apply(n);
        if (a.delayMillis() > 0) {
            try {
                Thread.sleep(a.delayMillis());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (a.status() >= 200 && a.status() < 300) {
            requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    Map.copyOf(ex.getRequestHeaders()), body, at));
        }
        a.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        ex.sendResponseHeaders(a.status(), -1);
        ex.close();
    }

    /** Answers the n-th request (1-based) as the function says. */
    public LocalHttpServer script(final Function<Integer, Answer> f) {
        this.script = f;
        return this;
    }

    /** Requests answered 2xx (the deliveries). */
    public List<Request> delivered() {
        return requests;
    }

    /** Every request, answered or not. */
    public int attempts() {
        return count.get();
    }

    public URI uri(final String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
