package io.replwatch.sandbox.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.sandbox.SandboxException;
import io.replwatch.sandbox.SandboxState;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code replwatch sandbox up|status|down}: infrastructure only, for trying things by hand. */
@Command(name = "sandbox", mixinStandardHelpOptions = true,
        description = "Real Kafka, schema registry and PostgreSQL replication on loopback.",
        subcommands = {SandboxCommand.Up.class, SandboxCommand.Status.class, SandboxCommand.Env.class, SandboxCommand.Down.class})
public final class SandboxCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--dir", description = "State and data directory (default: ${DEFAULT-VALUE}).",
            defaultValue = ".replwatch/sandbox", scope = CommandLine.ScopeType.INHERIT)
    Path dir;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    /** The recorded sandbox, or null after telling the user there is none and what to do. */
    SandboxState recorded(final CommandLine.Model.CommandSpec sub) {
        final SandboxState state = SandboxState.read(dir);
        if (!state.recorded()) {
            sub.commandLine().getErr().println("No sandbox recorded in " + dir.toAbsolutePath()
                    + (state.exists() ? " (a directory is there: `./replwatch sandbox down` cleans it)"
                    : ": run `./replwatch sandbox up` first"));
            return null;
        }
        return state;
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start Kafka, the schema registry and a PostgreSQL primary with standbys; print how to reach them."
                    + " They keep running until `sandbox down`.")
    static final class Up implements Callable<Integer> {
        @CommandLine.ParentCommand
        SandboxCommand parent;

        @Option(names = "--standbys", defaultValue = "2", description = "Number of standbys (default: ${DEFAULT-VALUE};"
                + " the first is synchronous).")
        int standbys;

        @Option(names = "--pg-version", description = "PostgreSQL major version to use (default: the newest installed).")
        Integer pgVersion;

        @Option(names = "--patroni", defaultValue = "0", paramLabel = "MEMBERS", description = "Also start a Patroni cluster"
                + " 'patroni' of this many members on etcd (Debian's patroni and etcd-server packages; default: none).")
        int patroni;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            final PrintWriter out = spec.commandLine().getOut();
            final Sandbox sb = Sandbox.builder().dir(parent.dir).standbys(standbys).pgVersion(pgVersion)
                    .patroni(patroni, "patroni").watchParent(false).start();
            out.printf("Sandbox up in %.1f s (state in %s)%n", sb.readyMillis() / 1000.0, sb.dir());
            out.printf("  Kafka bootstrap servers  %s%n", sb.kafka().bootstrapServers());
            out.printf("  Schema registry URL      %s%n", sb.registry().url());
            for (final PgNode n : sb.postgres().nodes()) {
                out.printf("  PostgreSQL %-13s %s   (%s)%n", n.name(), n.jdbcUrl(),
                        n.isStandby() ? "standby, slot " + n.slot() : "primary");
            }
            if (patroni > 0) {
                out.printf("  Patroni cluster '%s' on etcd %s%n", sb.patroni().scope(), sb.patroni().etcdUrl());
                for (final var m : sb.patroni().members()) {
                    out.printf("    member %-6s %s   REST %s%n", m.name(), m.jdbcUrl(), m.apiUrl());
                }
            }
            out.printf("  Users: %s/%s (superuser), %s/%s (pg_monitor), %s/%s (REPLICATION)%n",
                    PgNode.SUPERUSER, PgNode.SUPERUSER_PASSWORD, PgNode.MONITOR_USER, PgNode.MONITOR_PASSWORD,
                    PgNode.REPLICATION_USER, PgNode.REPLICATION_PASSWORD);
            out.println("Stop with: ./replwatch sandbox down");
            out.flush();
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Print each component's state as JSON, with each standby's state and sync_state.")
    static final class Status implements Callable<Integer> {
        @CommandLine.ParentCommand
        SandboxCommand parent;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            final SandboxState state = parent.recorded(spec);
            if (state == null) {
                return 1;
            }
            spec.commandLine().getOut().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(state.status()));
            return 0;
        }
    }

    @Command(name = "env", mixinStandardHelpOptions = true,
            description = "Print shell exports for the running sandbox (KAFKA_BOOTSTRAP, SCHEMA_REGISTRY_URL,"
                    + " PG_<NODE>_PORT), as the example configurations in examples/ expect: eval \"$(./replwatch sandbox env)\"")
    static final class Env implements Callable<Integer> {
        @CommandLine.ParentCommand
        SandboxCommand parent;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            final SandboxState state = parent.recorded(spec);
            if (state == null) {
                return 1;
            }
            final PrintWriter out = spec.commandLine().getOut();
            final var raw = state.raw();
            out.println("export KAFKA_BOOTSTRAP=" + raw.path("kafka").path("bootstrap_servers").asText());
            out.println("export SCHEMA_REGISTRY_URL=" + raw.path("registry").path("url").asText());
            for (final var n : raw.path("postgres").path("nodes")) {
                out.println("export PG_" + n.path("name").asText().toUpperCase() + "_PORT=" + n.path("port").asInt());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop everything the sandbox runs and remove its data, also after a crash.")
    static final class Down implements Callable<Integer> {
        @CommandLine.ParentCommand
        SandboxCommand parent;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            final List<String> done = SandboxState.read(parent.dir).down();
            final PrintWriter out = spec.commandLine().getOut();
            if (done.isEmpty()) {
                out.println("Nothing to stop in " + parent.dir.toAbsolutePath());
            }
            done.forEach(out::println);
            return 0;
        }
    }

    /** Turns a SandboxException into its message and exit status 1, without a stack trace. */
    public static CommandLine.IExecutionExceptionHandler errorHandler() {
        return (ex, cmd, parsed) -> {
            if (ex instanceof SandboxException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 1;
            }
            throw ex;
        };
    }
}
