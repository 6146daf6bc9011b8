package io.replwatch.lake.cli;

import io.replwatch.lake.capacity.CapacityReport;
import io.replwatch.lake.capacity.HtmlReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replwatch capacity --lake DIR [--cluster C] [--html FILE]}. */
@Command(name = "capacity", mixinStandardHelpOptions = true,
        description = "Capacity report from the lake: WAL per day and trend, peak rates, lag, slot retention, 30/90-day forecast.")
public final class CapacityCommand implements Callable<Integer> {

    @Option(names = "--lake", required = true, paramLabel = "DIR", description = "The lake directory (output.path of `replwatch lake`).")
    Path lake;

    @Option(names = "--cluster", paramLabel = "C", description = "Only this cluster.")
    String cluster;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write the report as an HTML page with charts.")
    Path html;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** How many logical slots the report lists as the largest consumers of retained WAL. */
    static final int TOP_CONSUMERS = 10;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(lake)) {
            spec.commandLine().getErr().println("No lake at " + lake + " (give the directory `replwatch lake` writes to)");
            return 2;
        }
        final List<io.replwatch.avro.CapacityRollup> rollups = CapacityReport.read(lake, cluster);
        final List<CapacityReport.Series> series = CapacityReport.build(rollups);
        final List<CapacityReport.Consumer> consumers = CapacityReport.consumers(rollups, TOP_CONSUMERS);
        spec.commandLine().getOut().print(CapacityReport.text(series));
        spec.commandLine().getOut().print(CapacityReport.consumersText(consumers));
        if (html != null) {
            Files.writeString(html, HtmlReport.render(series, consumers, lake.toAbsolutePath().toString()));
            spec.commandLine().getOut().println("\nHTML report: " + html.toAbsolutePath());
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
