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
     * A port that was free on 127.0.0.1 a moment ago and that this JVM has not handed out before, so that
     * components starting in parallel never pick the same one.
     */
    public static int free() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (final IOException e) {
                throw new SandboxException("Cannot find a free loopback port: " + e.getMessage(), e);
            }
        }
        throw new SandboxException("Cannot find a free loopback port not handed out before");
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
        boolean taken;
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            taken = false;
        } catch (final IOException e) {
            taken = true;
        }
        if (taken) {
            throw new SandboxException(what + ": port 127.0.0.1:" + port + " is already in use (a leftover process?"
                    + " run `./replwatch sandbox down`, or stop whatever listens there: `ss -ltnp 'sport = :" + port
                    + "'`)");
        }
    }
}
