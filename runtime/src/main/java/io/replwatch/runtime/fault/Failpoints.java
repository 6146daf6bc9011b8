package io.replwatch.runtime.fault;

/**
 * Named places where a test can make the process die as if killed with SIGKILL, to prove what happens when a
 * crash falls in a window a test cannot hit by timing (for example between a receiver's 2xx and the state write
 * that records it). Off unless the environment variable {@value #ENV} names the failpoint; meant for tests only.
 */
public final class Failpoints {

    public static final String ENV = "REPLWATCH_FAILPOINT";

    /** In the alerter: a notification was settled (receiver answered 2xx), its group's state not yet written. */
    public static final String ALERTER_AFTER_DELIVERY = "alerter.after-delivery";

    private static final String ARMED = System.getenv(ENV);

    private Failpoints() {
    }

    /** Halts the JVM at once (exit 137, no shutdown hooks, nothing flushed) when {@code name} is armed. */
    public static void crashIf(final String name) {
        if (name.equals(ARMED)) {
            System.err.println("failpoint " + name + ": halting as if killed with SIGKILL");
            System.err.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
