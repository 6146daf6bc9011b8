package io.replwatch.collector.poll;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.PollStatus;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

class PollFailureTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                // 1. Refused TCP connection: the node is down.
                Arguments.of(new SQLException("Connection to 127.0.0.1:5 refused", "08001", new ConnectException("refused")),
                        PollStatus.UNREACHABLE),
                // 2. SQLSTATE class 28: wrong password, permanent until the config changes.
                Arguments.of(new SQLException("FATAL: password authentication failed for user \"monitor\"", "28P01"),
                        PollStatus.AUTH_FAILED),
                // 3. 42501: a function or view the user may not read.
                Arguments.of(new SQLException("permission denied for function pg_ls_waldir", "42501"),
                        PollStatus.PERMISSION_DENIED),
                // 4. statement_timeout fired on the server.
                Arguments.of(new SQLException("canceling statement due to statement timeout", "57014"), PollStatus.TIMEOUT),
                // 5. The client socket deadline: the peer stopped answering.
                Arguments.of(new SQLException("An I/O error occurred", "08006", new SocketTimeoutException("Read timed out")),
                        PollStatus.TIMEOUT),
                // 6. Server shutting down (pg_ctl stop -m fast): the node is going away.
                Arguments.of(new SQLException("FATAL: terminating connection due to administrator command", "57P01"),
                        PollStatus.UNREACHABLE),
                // 7. Anything else is an ERROR with its SQLSTATE.
                Arguments.of(new SQLException("division by zero", "22012"), PollStatus.ERROR));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void classifies(final SQLException e, final PollStatus expected) {
        assertThat(PollFailure.of(e, "db:5432/postgres").status()).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void messagesDropCredentials() {
        final PollFailure f = PollFailure.of(new SQLException(
                "could not connect with password=hunter2 to postgresql://monitor:hunter2@db/postgres", "08001"), "db:5432");
        assertThat(f.message()).doesNotContain("hunter2").contains("db:5432");
    }

    @org.junit.jupiter.api.Test
    void backoffGrowsToThirtySecondsWithJitter() {
        assertThat(NodePoller.backoffMillis(1)).isBetween(800L, 1200L);
        assertThat(NodePoller.backoffMillis(3)).isBetween(3200L, 4800L);
        assertThat(NodePoller.backoffMillis(30)).isBetween(24_000L, 36_000L);
    }

    /** Issue 17: an untrusted server certificate was "cannot reach ... PKIX path building failed" and UNREACHABLE (DOWN). */
    @org.junit.jupiter.api.Test
    void anUntrustedCertificateIsATlsErrorNotAnOutage() {
        final SQLException e = new SQLException("SSL error: PKIX path building failed", "08006",
                new javax.net.ssl.SSLHandshakeException("PKIX path building failed: unable to find valid certification path"));
        final PollFailure f = PollFailure.of(e, "db:5432");
        assertThat(f.status()).isEqualTo(PollStatus.ERROR);
        assertThat(f.message()).isEqualTo("TLS failed at db:5432: the server's certificate is not signed by the CA in "
                + "sslrootcert (check sslmode, sslrootcert and the server's certificate)");
    }
}
