package io.replwatch.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code replwatch local --scenario replay-stall} in-process, on real services: the console shows the pause's
 * transition and notification, then its resolution; headless Chromium (Debian's package) loads the status page
 * while the scenario runs and sees the standby's WARNING row with its reason; a screenshot is kept in
 * target/status-page.png; closing leaves no process behind.
 */
class LocalIT {

    @Test
    void replayStallShowsOnTheConsoleAndTheStatusPage() throws Exception {
        final ConsoleCapture console = new ConsoleCapture();
        final LocalRun run = new LocalRun(new LocalRun.Options("replay-stall", null, 2, 0, console.out));
        List<Long> pids = List.of();
        try {
            run.start();
            pids = run.sandbox().pids();
            await().atMost(Duration.ofSeconds(60)).until(() -> run.timeToFirstSample() != null);
            System.out.printf("BENCH local: start to first sample on the status page: %.1f s%n",
                    run.timeToFirstSample().toMillis() / 1000.0);

            await().atMost(Duration.ofSeconds(90)).until(() -> console.text().contains("[FIRING:1]"));
            final String printed = console.text();
            assertThat(printed).contains("scenario    pausing replay on standby1")
                    .contains("transition  sandbox/standby1  HEALTHY -> WARNING  REPLAY_PAUSED")
                    .contains("WARNING sandbox/standby1 REPLAY_PAUSED");
            final Instant paused = stamp(printed, "scenario    pausing replay");
            final Instant notified = stamp(printed, "[FIRING:1]");
            System.out.printf("BENCH local: replay pause to console notification: %.1f s%n",
                    Duration.between(paused, notified).toMillis() / 1000.0);

            // The page as a browser renders it, while replay is still paused.
            final String dom = chromium("--dump-dom", run.page().url());
            assertThat(dom).contains("data-node=\"sandbox/primary\" data-state=\"HEALTHY\"")
                    .contains("data-node=\"sandbox/standby2\" data-state=\"HEALTHY\"");
            final Matcher row = Pattern.compile("<tr data-node=\"sandbox/standby1\" data-state=\"WARNING\">(.*?)</tr>")
                    .matcher(dom);
            assertThat(row.find()).as("standby1's row in WARNING").isTrue();
            assertThat(row.group(1)).contains("REPLAY_PAUSED").contains("STANDBY");
            assertThat(dom).contains("[FIRING:1]"); // the notification feed, from the local webhook
            final Path shot = Path.of("target", "status-page.png").toAbsolutePath();
            Files.deleteIfExists(shot);
            chromium("--screenshot=" + shot, run.page().url());
            assertThat(shot).exists();
            assertThat(Files.size(shot)).isGreaterThan(10_000);

            await().atMost(Duration.ofSeconds(120)).until(() -> console.text().contains("[RESOLVED]"));
            // Paused while the primary writes is also a stall (seen after 10 s of the 45 s pause); both clear.
            assertThat(console.text()).contains("WARNING -> WARNING  REPLAY_STALLED, REPLAY_PAUSED")
                    .contains("WARNING -> HEALTHY    (cleared REPLAY_STALLED, REPLAY_PAUSED)");
        } finally {
            run.close();
        }
        // PostgreSQL's postmasters finish their immediate shutdown a moment after pg_ctl returns.
        final List<Long> started = pids;
        assertThat(started).hasSizeGreaterThanOrEqualTo(5);
        await().atMost(Duration.ofSeconds(15)).until(() -> started.stream()
                .noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));
    }

    /** The ISO instant at the start of the first console line containing {@code marker}. */
    private static Instant stamp(final String console, final String marker) {
        for (final String line : console.split("\n")) {
            if (line.contains(marker)) {
                return Instant.parse(line.substring(0, line.indexOf(' ')));
            }
        }
        throw new AssertionError("no line with " + marker);
    }

    /** Runs Debian's chromium headless; fails (does not skip) when it is missing. */
    static String chromium(final String... args) throws Exception {
        final Path bin = Path.of("/usr/bin/chromium");
        assertThat(bin).as("Debian's chromium package (apt-get install chromium; .ci/run installs it)").exists();
        final List<String> cmd = new ArrayList<>(List.of(bin.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1400,1000", "--virtual-time-budget=5000",
                "--user-data-dir=" + Files.createTempDirectory("chromium-")));
        cmd.addAll(List.of(args));
        final Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final byte[] stdout = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("chromium exit").isZero();
        return new String(stdout, StandardCharsets.UTF_8);
    }
}
