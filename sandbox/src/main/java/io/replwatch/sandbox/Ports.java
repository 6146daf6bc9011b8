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
     * A port that is free on 127.0.0.1 now, that this JVM has not handed out before, and that lies outside the
     * kernel's ephemeral range where there is room (below it, or above it when a machine or container widens the
     * range down to a few thousand). Ports from the ephemeral range (what binding port 0 gives) are also handed to
     * outgoing connections: with Kafka clients and JDBC connecting in parallel, a port picked that way can be
     * taken as a connection's source port before the server binds it. When the range leaves no room the pick is
     * random over the registered ports, and the servers' starts pick again when a port is taken all the same.
     */
    public static synchronized int free() {
        final int[] range = ephemeralRange();
        final java.util.List<int[]> spans = spans(range);
        final java.util.Random random = new java.util.Random();
        final int total = spans.stream().mapToInt(r -> r[1] - r[0]).sum();
        final int[] slice = slice(System.getProperty(SLICE_PROPERTY));
        for (int attempt = 0; attempt < 200; attempt++) {
            final int port = pick(spans, random.nextInt(total));
            if (port % slice[1] == slice[0] && !HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new SandboxException("Cannot find a free loopback port not handed out before (200 tries in " + LOWEST
                + "-65535 outside the ephemeral range " + range[0] + "-" + range[1] + ")");
    }

    /**
     * {@code k/n}: this JVM takes only ports {@code p} with {@code p % n == k % n}. Test JVMs running side by side
     * (failsafe's forks, {@code k} = the fork's number) then never pick the same port in the moment between the
     * pick and the bind.
     */
    public static final String SLICE_PROPERTY = "replwatch.ports.slice";

    /** {remainder, modulus} from a {@code k/n} slice; {0, 1} (every port) when absent or not of that form. */
    static int[] slice(final String spec) {
        if (spec == null || !spec.matches("\\d+/\\d+")) {
            return new int[] {0, 1};
        }
        final int k = Integer.parseInt(spec.substring(0, spec.indexOf('/')));
        final int n = Integer.parseInt(spec.substring(spec.indexOf('/') + 1));
        return n <= 1 ? new int[] {0, 1} : new int[] {k % n, n};
    }

    /** The lowest port handed out: clear of the well-known services a developer machine may run. */
    private static final int LOWEST = 15000;

    /** Where ports are picked from, given the kernel's ephemeral range: [first, last) spans. */
    static java.util.List<int[]> spans(final int[] ephemeral) {
        final java.util.List<int[]> spans = new java.util.ArrayList<>();
        if (ephemeral[0] - LOWEST > 1000) {
            spans.add(new int[] {LOWEST, ephemeral[0]});
        }
        if (65536 - (ephemeral[1] + 1) > 1000) {
            spans.add(new int[] {ephemeral[1] + 1, 65536});
        }
        if (spans.isEmpty()) {
            spans.add(new int[] {LOWEST, 65536});
        }
        return spans;
    }

    /** The port at {@code offset} into the concatenation of {@code spans}. */
    static int pick(final java.util.List<int[]> spans, final int offset) {
        int rest = offset;
        for (final int[] span : spans) {
            final int size = span[1] - span[0];
            if (rest < size) {
                return span[0] + rest;
            }
            rest -= size;
        }
        throw new IllegalArgumentException("offset " + offset + " beyond the spans");
    }

    /** The kernel's ephemeral port range (Linux), or the IANA default elsewhere. */
    static int[] ephemeralRange() {
        try {
            // Read as a stream: /proc reports a size of 0, and Files.readString reads a short prefix of such a file
            // ("3" of "32768 60999"), which sent every pick into the real range.
            final String[] parts;
            try (java.io.BufferedReader r = java.nio.file.Files.newBufferedReader(
                    java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                parts = String.valueOf(r.readLine()).trim().split("\\s+");
            }
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
