package io.replwatch.sandbox;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Loopback port helpers. */
public final class Ports {

    private Ports() {
    }

    /** Ports handed out by this JVM: the OS may offer a released port again before its taker binds it. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port that is free on 127.0.0.1 now, that this JVM has not handed out before, and that lies below the
     * kernel's ephemeral range. Ports from the ephemeral range (what binding port 0 gives) are also handed to
     * outgoing connections: with Kafka clients and JDBC connecting in parallel, a port picked that way can be
     * taken as a connection's source port before the server binds it.
     */
    public static synchronized int free() {
        final int[] range = ephemeralRange();
        final int low = 15000;
        final int high = range[0] - 1;
        if (high - low > 1000) {
            final java.util.Random random = new java.util.Random();
            for (int attempt = 0; attempt < 200; attempt++) {
                final int port = low + random.nextInt(high - low);
                if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
                    return port;
                }
            }
        }
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (final IOException e) {
                throw new SandboxException("Cannot find a free loopback port: " + e.getMessage(), e);
            }
        }
        throw new SandboxException("Cannot find a free loopback port not handed out before");
    }

    /** The kernel's ephemeral port range (Linux), or the IANA default elsewhere. */
    static int[] ephemeralRange() {
        try {
            final String[] parts = java.nio.file.Files.readString(
                    java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (final IOException | RuntimeException e) {
            return new int[] {49152, 65535};
        }
    }

    /** Probes by binding; synchronized with {@link #free()} so that one thread's probe never looks like a taker. */
    private static synchronized boolean bindable(final int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (final IOException e) {
            return false;
        }
    }

    /** Whether something accepts connections on 127.0.0.1:port. */
    public static boolean inUse(final int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (final IOException e) {
            return false;
        }
    }

    /**
     * Fails with the remedy when {@code port} cannot be listened on, before a child is launched on it. Tested by
     * binding, not by connecting: a connect probe from an ephemeral port can connect to itself.
     */
    public static void requireFree(final int port, final String what) {
        if (!bindable(port)) {
            throw new SandboxException(what + ": port 127.0.0.1:" + port + " is already in use (a leftover process?"
                    + " run `./replwatch sandbox down`, or stop whatever listens there: `ss -ltnp 'sport = :" + port
                    + "'`)");
        }
    }
}
