package io.replwatch.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A throwaway certificate authority and a server certificate it signed, for TLS tests on loopback, made with the
 * openssl command line (on every Debian image): {@code ca.crt}, {@code server.crt} (subject alternative names
 * 127.0.0.1 and localhost) and {@code server.key} (unencrypted). Never for anything but tests.
 *
 * @param ca the authority's certificate (what a client's {@code sslrootcert} names)
 * @param serverCert the server's certificate
 * @param serverKey the server's private key
 */
public record TestCertificates(Path ca, Path serverCert, Path serverKey) {

    /** Makes a new authority and server certificate under {@code dir} (created when missing). */
    public static TestCertificates create(final Path dir) {
        try {
            Files.createDirectories(dir);
            final Path caKey = dir.resolve("ca.key");
            final Path ca = dir.resolve("ca.crt");
            final Path key = dir.resolve("server.key");
            final Path csr = dir.resolve("server.csr");
            final Path cert = dir.resolve("server.crt");
            final Path ext = Files.writeString(dir.resolve("server.ext"),
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
            openssl(List.of("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=replwatch test CA " + dir.getFileName(), "-keyout", caKey.toString(), "-out", ca.toString()));
            openssl(List.of("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key.toString(),
                    "-out", csr.toString()));
            openssl(List.of("x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
                    "-CAcreateserial", "-days", "2", "-extfile", ext.toString(), "-out", cert.toString()));
            return new TestCertificates(ca, cert, key);
        } catch (final java.io.IOException e) {
            throw new SandboxException("Cannot make test certificates under " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void openssl(final List<String> args) {
        final List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(args);
        OsCommand.check(cmd, Map.of(), 60, "openssl " + args.get(0));
    }
}
