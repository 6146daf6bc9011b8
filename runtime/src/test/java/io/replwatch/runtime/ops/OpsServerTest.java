package io.replwatch.runtime.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ops server under clients that do not play along (issue 17): before, two half-sent requests kept every
 * service's /health from answering for over a minute (two handler threads, no read timeout).
 */
class OpsServerTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void tenSlowConnectionsDoNotKeepHealthFromAnswering() throws Exception {
        try (OpsServer server = OpsServer.start("127.0.0.1", 0, () -> "", () -> new OpsServer.Health(true, Map.of()))) {
            final List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    final Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
                    // Half a request: the request line and one header, never the blank line that ends it.
                    s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    slow.add(s);
                }
                // Each half-sent request holds a handler thread (reading what never comes): wait until all ten do,
                // so that /health below really competes with them.
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces()
                        .keySet().stream().filter(t -> t.getName().equals("replwatch-ops-http")).count() >= 10);
                final long start = System.nanoTime();
                final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/health")).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat((System.nanoTime() - start) / 1_000_000).as("ms to answer").isLessThan(1_000);
            } finally {
                for (final Socket s : slow) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aRequestThatNeverEndsIsCutOff() throws Exception {
        try (OpsServer server = OpsServer.start("127.0.0.1", 0, () -> "", () -> new OpsServer.Health(true, Map.of()));
             Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout((OpsServer.MAX_REQUEST_SECONDS + 15) * 1000);
            final OutputStream out = s.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final long start = System.nanoTime();
            final InputStream in = s.getInputStream();
            // The server closes the connection (end of stream) instead of waiting for ever.
            while (in.read() >= 0) {
                // drain whatever it says before closing
            }
            assertThat((System.nanoTime() - start) / 1_000_000_000).as("seconds until cut off")
                    .isLessThanOrEqualTo(OpsServer.MAX_REQUEST_SECONDS + 10);
        }
    }

    @Test
    void itListensOnlyWhereItIsTold() throws Exception {
        try (OpsServer server = OpsServer.start("127.0.0.1", 0, () -> "", () -> new OpsServer.Health(true, Map.of()))) {
            final InetAddress other = nonLoopbackAddress();
            if (other != null) {
                try (Socket s = new Socket()) {
                    s.connect(new java.net.InetSocketAddress(other, server.port()), 1_000);
                    throw new AssertionError("connected on " + other + " although bound to 127.0.0.1");
                } catch (final java.io.IOException expected) {
                    assertThat(expected).isNotNull();
                }
            }
            assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
        }
    }

    /** An address of this machine that is not loopback, or null when it has none. */
    private static InetAddress nonLoopbackAddress() throws java.net.SocketException {
        for (final var nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            for (final InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
                if (!a.isLoopbackAddress() && a instanceof java.net.Inet4Address) {
                    return a;
                }
            }
        }
        return null;
    }
}
