package io.replwatch.local;

import io.replwatch.sandbox.PostgresCluster;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;

/**
 * Scripted faults on the sandbox's PostgreSQL, so a newcomer sees the pipeline react within a minute. Each step
 * prints what it does. The standbys are {@code standby1} and {@code standby2}.
 */
public final class Scenarios {

    /** Names and one-line descriptions, for --help and errors. */
    public static final Map<String, String> ALL = new java.util.LinkedHashMap<>();

    static {
        ALL.put("demo", "idle, a write burst, replay paused then resumed, a standby stopped then started, a failover");
        ALL.put("replay-stall", "replay paused on standby1 while the primary writes, then resumed");
        ALL.put("standby-down", "standby2 stopped, then started again");
        ALL.put("link-cut", "standby1's replication link cut while the primary writes, then restored");
        ALL.put("failover", "the primary stopped and standby1 promoted");
        ALL.put("slot-bloat", "an unused replication slot holds back WAL while the primary writes, then is dropped");
        ALL.put("archive-failing", "WAL archiving turned on, its archive_command made to fail under writes, then fixed");
        ALL.put("cascade", "cascade1 streams from standby2; standby2 stopped (one DOWN, one UPSTREAM_DOWN), then started");
        ALL.put("patroni", "a Patroni cluster beside the sandbox (needs patroni and etcd-server): a switchover, then the"
                + " leader's host killed (failover), then the old leader back with pg_rewind");
    }

    /** The Patroni cluster's name in a local run (the scenario "patroni"). */
    public static final String PATRONI_CLUSTER = "patroni";

    private final PostgresCluster pg;
    private io.replwatch.sandbox.PatroniCluster patroni;
    private final PrintStream out;
    private volatile boolean stopped;

    public Scenarios(final PostgresCluster pg, final PrintStream out) {
        this.pg = pg;
        this.out = out;
    }

    public void stop() {
        stopped = true;
    }

    /** The Patroni cluster the scenario "patroni" works on. */
    public Scenarios patroni(final io.replwatch.sandbox.PatroniCluster cluster) {
        this.patroni = cluster;
        return this;
    }

    /** Sets up what a scenario needs before the collector starts: the cascading standby of "cascade". */
    public static void prepare(final String name, final PostgresCluster pg, final PrintStream out) {
        if ("cascade".equals(name)) {
            out.println("scenario: adding cascade1, a standby streaming from standby2");
            pg.addCascadingStandby("cascade1", "standby2");
        }
    }

    /** Runs a scenario to its end (or until {@link #stop()}). */
    public void run(final String name) throws InterruptedException {
        switch (name) {
            case "demo" -> {
                step("idle for 15 s: nothing should fire (time lag stays at zero on an idle primary)");
                pause(Duration.ofSeconds(15));
                step("write burst: 64 MB of WAL");
                pg.generateWal(64);
                pause(Duration.ofSeconds(10));
                replayStall(Duration.ofSeconds(30));
                standbyDown(Duration.ofSeconds(30));
                failover();
            }
            case "replay-stall" -> {
                pause(Duration.ofSeconds(5));
                replayStall(Duration.ofSeconds(45));
            }
            case "standby-down" -> {
                pause(Duration.ofSeconds(5));
                standbyDown(Duration.ofSeconds(40));
            }
            case "link-cut" -> {
                pause(Duration.ofSeconds(5));
                step("cutting standby1's replication link while the primary writes");
                pg.cutLink("standby1");
                write(Duration.ofSeconds(45));
                step("restoring standby1's link");
                pg.restoreLink("standby1");
            }
            case "failover" -> {
                pause(Duration.ofSeconds(10));
                failover();
            }
            case "slot-bloat" -> {
                pause(Duration.ofSeconds(5));
                step("creating replication slot 'forgotten' that nothing consumes");
                pg.createSlot("forgotten");
                for (int i = 0; i < 6 && !stopped; i++) {
                    pg.generateWal(32);
                    pause(Duration.ofSeconds(5));
                    out.printf("scenario: slot 'forgotten' now holds back %d MB of WAL%n",
                            pg.slotRetainedBytes("forgotten") / (1024 * 1024));
                }
                pause(Duration.ofSeconds(60));
                step("dropping slot 'forgotten'");
                pg.dropSlot("forgotten");
            }
            case "archive-failing" -> {
                step("turning WAL archiving on (archive_mode needs a restart of the primary)");
                pg.enableArchiving();
                pause(Duration.ofSeconds(10));
                step("making archive_command fail while the primary writes");
                pg.failArchiving(true);
                write(Duration.ofSeconds(45));
                step("fixing archive_command");
                pg.failArchiving(false);
                pause(Duration.ofSeconds(20));
            }
            case "cascade" -> {
                pause(Duration.ofSeconds(5));
                step("stopping standby2, which cascade1 streams from");
                pg.stop("standby2");
                pause(Duration.ofSeconds(30));
                step("starting standby2");
                pg.start("standby2");
                pause(Duration.ofSeconds(20));
            }
            case "patroni" -> {
                pause(Duration.ofSeconds(10));
                final String leader = patroni.leader();
                final String sync = patroni.syncStandby();
                step("Patroni switchover from " + leader + " to " + sync + " (planned: SWITCHOVER, no DOWN page)");
                patroni.switchover(leader, sync);
                pause(Duration.ofSeconds(30));
                final String next = patroni.leader();
                step("killing " + next + "'s host (SIGKILL of Patroni and PostgreSQL): DOWN, then FAILOVER to the"
                        + " member the status page named as 'promote next'");
                patroni.kill(next);
                pause(Duration.ofSeconds(40));
                step("starting " + next + " again: it rejoins as a standby (pg_rewind)");
                patroni.restart(next);
                pause(Duration.ofSeconds(30));
            }
            default -> throw new IllegalArgumentException("unknown scenario '" + name + "' (known: "
                    + String.join(", ", ALL.keySet()) + ")");
        }
        if (!stopped) {
            step("scenario " + name + " done; the pipeline keeps running (Ctrl-C to stop)");
        }
    }

    private void replayStall(final Duration d) throws InterruptedException {
        step("pausing replay on standby1 (pg_wal_replay_pause) while the primary writes");
        pg.pauseReplay("standby1");
        write(d);
        step("resuming replay on standby1");
        pg.resumeReplay("standby1");
        pause(Duration.ofSeconds(20));
    }

    private void standbyDown(final Duration d) throws InterruptedException {
        step("stopping standby2");
        pg.stop("standby2");
        pause(d);
        step("starting standby2");
        pg.start("standby2");
        pause(Duration.ofSeconds(20));
    }

    private void failover() throws InterruptedException {
        step("stopping the primary");
        pg.stop("primary");
        pause(Duration.ofSeconds(5));
        step("promoting standby1 to primary");
        pg.promote("standby1");
        pg.setPrimary("standby1");
        pause(Duration.ofSeconds(30));
    }

    /** Writes a little WAL each second for {@code d}. */
    private void write(final Duration d) throws InterruptedException {
        final long end = System.nanoTime() + d.toNanos();
        while (!stopped && System.nanoTime() < end) {
            pg.generateWal(1);
            Thread.sleep(1000);
        }
    }

    private void pause(final Duration d) throws InterruptedException {
        final long end = System.nanoTime() + d.toNanos();
        while (!stopped && System.nanoTime() < end) {
            Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    private void step(final String what) {
        if (!stopped) {
            out.printf("%s  scenario    %s%n", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), what);
            out.flush();
        }
    }
}
