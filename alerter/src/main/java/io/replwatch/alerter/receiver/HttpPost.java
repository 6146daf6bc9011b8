package io.replwatch.alerter.receiver;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * One JSON POST with a timeout, classified into an {@link Attempt}. One shared JDK client (HTTP/1.1 keep-alive,
 * HTTP/2 where offered); the URL never leaves this class in an error.
 */
public final class HttpPost {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    private HttpPost() {
    }

    public static Attempt post(final String receiver, final URI uri, final String body,
                               final Map<String, String> headers, final Duration timeout) throws InterruptedException {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", "replwatch-alerter")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        headers.forEach(b::header);
        try {
            final HttpResponse<Void> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.discarding());
            return Attempt.ofStatus(r.statusCode(),
                    RetryAfter.parse(r.headers().firstValue("Retry-After").orElse(null), Clock.systemUTC()), receiver);
        } catch (final IOException e) {
            return Attempt.ioFailure(receiver, e);
        } catch (final IllegalArgumentException e) {
            return Attempt.permanent(receiver, "request refused before sending (bad header or URL)");
        }
    }
}
