package io.replwatch.cli;

import io.replwatch.avro.ClusterTarget;
import io.replwatch.avro.TargetNode;
import io.replwatch.collector.config.TargetsFile;
import io.replwatch.collector.targets.TargetsTopic;
import io.replwatch.runtime.config.InvalidConfigException;
import io.replwatch.schemas.Topics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code replwatch targets apply FILE|DIR} and {@code replwatch targets list}: the fleet as data, in the compacted
 * targets topic that collectors in a group share out.
 */
@Command(name = "targets", mixinStandardHelpOptions = true,
        description = "The clusters collectors in a group poll, kept in Kafka (replwatch.targets).",
        subcommands = {TargetsCommand.Apply.class, TargetsCommand.ListTargets.class})
public final class TargetsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = "Validate a targets file (or every .yaml of a directory) and publish it as the desired set: "
                    + "clusters added or changed are published, clusters no longer listed are removed. A file with "
                    + "problems lists them all and publishes nothing (exit 2).")
    static final class Apply implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "FILE|DIR")
        Path path;

        @Option(names = "--dry-run", description = "Show what would change; publish nothing.")
        boolean dryRun;

        @Option(names = "--allow-empty", description = "Accept a file without clusters (removes every cluster).")
        boolean allowEmpty;

        @CommandLine.Mixin
        Target target;

        @Override
        public Integer call() {
            final PrintWriter out = target.out();
            final PrintWriter err = target.err();
            final Map<String, ClusterTarget> desired;
            try {
                desired = TargetsFile.load(path, System::getenv, allowEmpty);
            } catch (final InvalidConfigException e) {
                err.println(e.getMessage());
                err.println("Nothing was published.");
                return 2;
            }
            final KafkaOptions.Resolved endpoint = target.kafka.resolve(err);
            if (endpoint == null) {
                return 2;
            }
            try {
                TargetsTopic.ensure(endpoint.kafka(), target.topic);
                final TargetsTopic.Contents current = target.read(endpoint);
                final TargetsTopic.Diff diff = TargetsTopic.diff(current, desired);
                diff.added().forEach(t -> out.println("+ " + t.getCluster() + " (" + t.getNodes().size() + " nodes)"));
                diff.changed().forEach(t -> out.println("~ " + t.getCluster() + " (" + t.getNodes().size() + " nodes)"));
                diff.removed().forEach(c -> out.println("- " + c + (current.unreadable().containsKey(c)
                        ? " (an unreadable record: " + current.unreadable().get(c) + ")" : "")));
                out.printf("%d to add, %d to change, %d to remove, %d unchanged%s%n", diff.added().size(),
                        diff.changed().size(), diff.removed().size(), diff.unchanged(), dryRun ? " (dry run: nothing "
                                + "published)" : "");
                if (!dryRun && !diff.empty()) {
                    TargetsTopic.publish(endpoint.kafka(), endpoint.serde(), target.topic, diff, Duration.ofSeconds(30));
                    out.println("Published to " + target.topic + ".");
                }
                out.flush();
                return 0;
            } catch (final RuntimeException e) {
                err.println("error: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The clusters in the targets topic now.")
    static final class ListTargets implements Callable<Integer> {

        @CommandLine.Mixin
        Target target;

        @Override
        public Integer call() {
            final PrintWriter out = target.out();
            final KafkaOptions.Resolved endpoint = target.kafka.resolve(target.err());
            if (endpoint == null) {
                return 2;
            }
            try {
                final TargetsTopic.Contents contents = target.read(endpoint);
                final Map<String, ClusterTarget> current = contents.clusters();
                out.printf("%-24s %-8s %-9s %-24s %s%n", "CLUSTER", "NODES", "INTERVAL", "APPLIED", "NODES (host:port)");
                for (final ClusterTarget t : current.values()) {
                    out.printf("%-24s %-8d %-9s %-24s %s%n", t.getCluster(), t.getNodes().size(),
                            t.getPollIntervalMs() == null ? "-" : io.replwatch.runtime.config.Durations.format(
                                    Duration.ofMillis(t.getPollIntervalMs())),
                            t.getAppliedAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                            t.getNodes().stream().map(TargetsCommand::describe).collect(Collectors.joining(", ")));
                }
                contents.unreadable().forEach((k, why) -> out.printf("%-24s unreadable (collectors skip it; the next "
                        + "apply replaces it, or removes it when the file does not list it): %s%n", k, why));
                out.printf("%d clusters%s%n", current.size(), contents.unreadable().isEmpty() ? ""
                        : ", " + contents.unreadable().size() + " unreadable records");
                out.flush();
                return 0;
            } catch (final RuntimeException e) {
                target.err().println("error: " + e.getMessage());
                return 1;
            }
        }
    }

    /** Where the targets are: the topic, and how to reach Kafka and the registry. */
    static final class Target {

        @Option(names = "--topic", defaultValue = Topics.TARGETS, description = "Targets topic (default: ${DEFAULT-VALUE}).")
        String topic;

        @CommandLine.Mixin
        KafkaOptions kafka;

        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        /** The topic's clusters now. */
        TargetsTopic.Contents read(final KafkaOptions.Resolved endpoint) {
            return TargetsTopic.read(endpoint.kafka(), endpoint.serde(), topic, Duration.ofSeconds(30));
        }
    }

    private static String describe(final TargetNode n) {
        return n.getName() + "=" + n.getHost() + ":" + n.getPort();
    }
}
