package io.replwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code replwatch failover-check CLUSTER}: which standby is safe to promote now, from the processor's live view
 * ({@code GET /api/v1/clusters/CLUSTER/failover-check} on any processor instance). Prints the pick and why, then
 * every standby ranked with what it would lose; {@code --json} prints the API's answer. Exit 0 when a standby is
 * eligible, 1 when none is, 2 when the processor cannot answer.
 */
@Command(name = "failover-check", mixinStandardHelpOptions = true,
        description = "Which standby of CLUSTER is safe to promote now, and what each would lose (from the processor).")
public final class FailoverCheckCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The cluster's name.")
    String cluster;

    @Option(names = "--processor", description = "A processor instance's HTTP address (default: $REPLWATCH_PROCESSOR,"
            + " else http://127.0.0.1:9188).")
    String processor;

    @Option(names = "--json", description = "Print the API's JSON answer.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final String base = processor != null ? processor
                : System.getenv().getOrDefault("REPLWATCH_PROCESSOR", "http://127.0.0.1:9188");
        final URI uri = URI.create(base.replaceAll("/+$", "") + "/api/v1/clusters/"
                + URLEncoder.encode(cluster, StandardCharsets.UTF_8) + "/failover-check");
        final HttpResponse<String> r;
        try {
            r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build().send(HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (final java.io.IOException e) {
            err.println("error: the processor at " + base + " did not answer: " + e.getClass().getSimpleName());
            return 2;
        }
        if (r.statusCode() == 404) {
            err.println("error: no primary of cluster '" + cluster + "' is known to the processor at " + base);
            return 2;
        }
        if (r.statusCode() != 200) {
            err.println("error: the processor answered HTTP " + r.statusCode());
            return 2;
        }
        final JsonNode c = new ObjectMapper().readTree(r.body());
        if (json) {
            out.println(c.toPrettyString());
        } else {
            print(c, out);
        }
        out.flush();
        return c.path("pick").isTextual() ? 0 : 1;
    }

    static void print(final JsonNode c, final PrintWriter out) {
        out.printf("Cluster %s, primary %s (%s), as of %s%n", c.path("cluster").asText(), c.path("primary").asText(),
                c.path("primary_state").asText(), c.path("computed_at").asText());
        out.println("Policy: " + c.path("policy").asText());
        out.println(c.path("pick").isTextual() ? "Promote " + c.path("pick").asText() + ": " + c.path("why").asText()
                : "Promote nothing: " + c.path("why").asText());
        out.println();
        out.printf("%-4s %-20s %-9s %-10s %-9s %14s %14s %10s  %s%n", "rank", "standby", "eligible", "sync", "streaming",
                "unreplicated", "replay lag", "time lag", "why not");
        for (final JsonNode s : c.path("candidates")) {
            final java.util.List<String> reasons = new java.util.ArrayList<>();
            s.path("reasons").forEach(x -> reasons.add(x.asText()));
            out.printf("%-4d %-20s %-9s %-10s %-9s %14s %14s %10s  %s%n", s.path("rank").asInt(), s.path("node").asText(),
                    s.path("eligible").asBoolean() ? "yes" : "no", s.path("sync_state").asText("-"),
                    s.path("streaming").asBoolean() ? "yes" : "no", bytes(s.path("unreplicated_bytes")),
                    bytes(s.path("replay_lag_bytes")), s.path("time_lag_ms").isNumber()
                            ? String.format(java.util.Locale.ROOT, "%.1fs", s.path("time_lag_ms").asLong() / 1000d) : "?",
                    String.join(", ", reasons));
        }
    }

    private static String bytes(final JsonNode n) {
        if (!n.isNumber()) {
            return "?";
        }
        final long b = n.asLong();
        return b < 1024 ? b + " B" : b < 1024 * 1024 ? String.format(java.util.Locale.ROOT, "%.1f KiB", b / 1024d)
                : String.format(java.util.Locale.ROOT, "%.1f MiB", b / 1048576d);
    }
}
