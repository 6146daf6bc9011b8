package io.replwatch.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The status page answers only this machine's own page (issue 17): a DNS-rebinding page (another Host) cannot read
 * the status, and no other web page (another Origin) can feed forged notifications in.
 */
class StatusPageTest {

    private StatusFeed feed;
    private StatusPage page;

    @BeforeEach
    void start() {
        feed = new StatusFeed(Map.of("bootstrap.servers", "127.0.0.1:1"), Map.of("schema.registry.url", "http://127.0.0.1:1"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        page = StatusPage.start(0, feed, Map.of());
    }

    @AfterEach
    void stop() {
        page.close();
    }

    /** Sends a raw request (java.net.http will not let a caller set Host) and returns the status code. */
    private int send(final String method, final String path, final String host, final String origin, final String body)
            throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), page.port())) {
            final StringBuilder r = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
            if (origin != null) {
                r.append("Origin: ").append(origin).append("\r\n");
            }
            if (body != null) {
                r.append("Content-Type: application/json\r\nContent-Length: ")
                        .append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
            }
            r.append("Connection: close\r\n\r\n").append(body == null ? "" : body);
            s.getOutputStream().write(r.toString().getBytes(StandardCharsets.UTF_8));
            final String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    @Test
    void itsOwnPageIsServed() throws Exception {
        final String self = "127.0.0.1:" + page.port();
        assertThat(send("GET", "/", self, null, null)).isEqualTo(200);
        assertThat(send("GET", "/api/status", "localhost:" + page.port(), null, null)).isEqualTo(200);
        assertThat(send("POST", "/webhook", self, null, "{\"status\":\"firing\",\"title\":\"real\"}")).isEqualTo(200);
        assertThat(notifications()).containsExactly("real");
    }

    @Test
    void aRebindingHostOrAForeignOriginIsRefused() throws Exception {
        // A page on evil.example that re-pointed its name at 127.0.0.1.
        assertThat(send("GET", "/api/status", "evil.example:" + page.port(), null, null)).isEqualTo(403);
        assertThat(send("GET", "/", "evil.example", null, null)).isEqualTo(403);
        // Another web page posting a forged notification from the browser of someone on this machine.
        assertThat(send("POST", "/webhook", "127.0.0.1:" + page.port(), "http://evil.example",
                "{\"status\":\"resolved\",\"title\":\"forged\"}")).isEqualTo(403);
        assertThat(notifications()).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private List<String> notifications() {
        final Object n = feed.snapshot().get("notifications");
        return n == null ? List.of() : ((List<Map<String, Object>>) n).stream().map(m -> String.valueOf(m.get("title"))).toList();
    }
}
