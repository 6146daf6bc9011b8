package io.replwatch.alerter.receiver;

import java.time.Duration;

/**
 * The outcome of one delivery attempt, classified once (Alertmanager's classes): 2xx delivered; 5xx, 429,
 * timeouts and connection errors retryable (with the receiver's Retry-After when it sent one); any other 4xx
 * permanent. {@code error} never holds a URL, token or routing key.
 */
public record Attempt(int status, boolean ok, boolean retryable, Duration retryAfter, String error) {

    public static Attempt delivered(final int status) {
        return new Attempt(status, true, false, null, null);
    }

    public static Attempt ofStatus(final int status, final Duration retryAfter, final String receiver) {
        if (status >= 200 && status < 300) {
            return delivered(status);
        }
        final boolean retry = status >= 500 || status == 429 || status == 408;
        return new Attempt(status, false, retry, retry ? retryAfter : null,
                "receiver '" + receiver + "' answered HTTP " + status);
    }

    /** A timeout or connection error: retryable, no status. */
    public static Attempt ioFailure(final String receiver, final Throwable e) {
        final String what = e instanceof java.net.http.HttpTimeoutException ? "timed out"
                : e instanceof java.net.ConnectException ? "connection refused or unreachable"
                : "I/O error (" + e.getClass().getSimpleName() + ")";
        return new Attempt(0, false, true, null, "receiver '" + receiver + "': " + what);
    }

    public static Attempt permanent(final String receiver, final String why) {
        return new Attempt(0, false, false, null, "receiver '" + receiver + "': " + why);
    }
}
