package io.replwatch.collector.poll;

import io.replwatch.avro.PollStatus;
import io.replwatch.serde.Redact;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/**
 * Classifies a failed poll once, after Debezium: retriable connection trouble (UNREACHABLE, TIMEOUT) versus
 * permanent refusals (AUTH_FAILED for SQLSTATE class 28, PERMISSION_DENIED for 42501), with a message that
 * never carries credentials.
 */
public record PollFailure(PollStatus status, String message) {

    public static PollFailure of(final Throwable error, final String address) {
        final SQLException sql = find(error, SQLException.class);
        final String state = sql == null ? null : sql.getSQLState();
        final String text = Redact.text(rootMessage(error));
        if (find(error, SocketTimeoutException.class) != null || "57014".equals(state)) {
            return new PollFailure(PollStatus.TIMEOUT, "timed out at " + address + ": " + text);
        }
        if (state != null && state.startsWith("28")) {
            return new PollFailure(PollStatus.AUTH_FAILED, "authentication failed at " + address + ": " + text);
        }
        if ("42501".equals(state)) {
            return new PollFailure(PollStatus.PERMISSION_DENIED, "permission denied at " + address + ": " + text
                    + " (grant the monitoring role: GRANT pg_monitor TO <user>)");
        }
        if (find(error, javax.net.ssl.SSLException.class) != null
                || find(error, java.security.cert.CertificateException.class) != null) {
            // The server is there; what it presented is not what sslmode and sslrootcert accept (or TLS is off on
            // a server that sslmode requires it of). A configuration to fix, not an outage: not UNREACHABLE.
            final String why = text.contains("PKIX") || text.contains("certification path")
                    ? "the server's certificate is not signed by the CA in sslrootcert"
                    : text.contains("hostname") || text.contains("does not match")
                    ? "the server's certificate does not name this host (sslmode verify-full)" : text;
            return new PollFailure(PollStatus.ERROR, "TLS failed at " + address + ": " + why
                    + " (check sslmode, sslrootcert and the server's certificate)");
        }
        if (find(error, ConnectException.class) != null || find(error, UnknownHostException.class) != null
                || find(error, NoRouteToHostException.class) != null
                || (state != null && (state.startsWith("08") || state.startsWith("57P")))) {
            return new PollFailure(PollStatus.UNREACHABLE, "cannot reach " + address + ": " + text);
        }
        return new PollFailure(PollStatus.ERROR, "poll failed at " + address + ": "
                + (state == null ? "" : "[" + state + "] ") + text);
    }

    /** Whether the connection should be dropped and made anew. */
    public boolean dropsConnection() {
        return status != PollStatus.PERMISSION_DENIED;
    }

    private static <T extends Throwable> T find(final Throwable e, final Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String rootMessage(final Throwable e) {
        final String msg = e.getMessage();
        if (msg != null && !msg.isBlank()) {
            return msg.split("\n")[0];
        }
        return e.getCause() != null ? rootMessage(e.getCause()) : e.getClass().getSimpleName();
    }
}
