package io.replwatch.sandbox.bench;

import io.replwatch.sandbox.Sandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Time from start() to all three parts ready (Kafka answering describeCluster, the registry answering, both
 * standbys streaming with standby1 synchronous), and the resident memory of every process the sandbox runs
 * (the two JVMs and every PostgreSQL process), over several cold starts.
 *
 * <p>Run: {@code mvn -B -q -pl sandbox test-compile exec:exec@bench}
 */
public final class SandboxBenchmark {

    private SandboxBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final int runs = Integer.getInteger("runs", 3);
        final List<Long> ready = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            try (Sandbox sb = Sandbox.builder().tempDir("bench-").standbys(2).start()) {
                ready.add(sb.readyMillis());
                Thread.sleep(3000);
                long jvm = 0;
                long pg = 0;
                for (final ProcessHandle p : ProcessHandle.allProcesses().toList()) {
                    final String cmd = p.info().commandLine().orElse("");
                    if (cmd.contains("-Dreplwatch.sandbox=" + sb.dir())) {
                        jvm += rssKb(p.pid());
                    }
                }
                for (final long pid : postgresPids(sb)) {
                    pg += rssKb(pid);
                }
                System.out.printf("run %d: ready in %d ms; resident: JVMs %d MiB, PostgreSQL %d MiB, total %d MiB%n",
                        i + 1, sb.readyMillis(), jvm / 1024, pg / 1024, (jvm + pg) / 1024);
            }
        }
        System.out.printf("ready times (ms): %s%n", ready);
    }

    /** Every process of every postmaster (the postmasters and their children). */
    private static List<Long> postgresPids(final Sandbox sb) {
        final List<Long> out = new ArrayList<>();
        for (final long pm : sb.pids()) {
            ProcessHandle.of(pm).ifPresent(h -> {
                if (h.info().command().orElse("").endsWith("postgres")) {
                    out.add(pm);
                    h.children().forEach(c -> out.add(c.pid()));
                }
            });
        }
        return out;
    }

    private static long rssKb(final long pid) {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (final IOException gone) {
            return 0;
        }
        return 0;
    }
}
