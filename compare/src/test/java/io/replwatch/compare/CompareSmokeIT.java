package io.replwatch.compare;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The side-by-side harness, short (20 s idle, 10 s faults, a burst of 200), so that it cannot rot between the
 * full runs BENCHMARKS.md reports: every stack starts, every fault is pulled, and replwatch notifies each fault,
 * pages nothing on the idle primary and delivers the whole burst. The peer's figures are reported, not judged.
 */
@Tag("chaos")
class CompareSmokeIT {

    @Test
    void theHarnessRunsEndToEnd(@TempDir final Path tmp) throws Exception {
        assertThat(SideBySide.missingBinaries()).as("Debian's prometheus, prometheus-alertmanager and"
                + " prometheus-postgres-exporter (.ci/run installs them)").isEmpty();
        final SideBySide.Outcome o = SideBySide.execute(Duration.ofSeconds(20), Duration.ofSeconds(10), 200,
                tmp.resolve("compare.md"));
        System.out.println(o.report());
        assertThat(o.problems()).as("replwatch's side of the comparison").isEmpty();
        assertThat(o.report()).contains("| standby stopped | p1 |").contains("| Alertmanager 0.25 | 200 of 200");
    }
}
