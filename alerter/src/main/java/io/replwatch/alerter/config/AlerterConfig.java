package io.replwatch.alerter.config;

import io.replwatch.runtime.ops.OpsServer;
import io.replwatch.alerter.receiver.Receiver;
import io.replwatch.alerter.receiver.ReceiverSettings;
import io.replwatch.alerter.receiver.alertmanager.AlertmanagerConfig;
import io.replwatch.alerter.receiver.alertmanager.AlertmanagerReceiver;
import io.replwatch.alerter.receiver.console.ConsoleReceiver;
import io.replwatch.alerter.receiver.discord.DiscordConfig;
import io.replwatch.alerter.receiver.discord.DiscordReceiver;
import io.replwatch.alerter.receiver.pagerduty.PagerDutyConfig;
import io.replwatch.alerter.receiver.pagerduty.PagerDutyReceiver;
import io.replwatch.alerter.receiver.slack.SlackConfig;
import io.replwatch.alerter.receiver.slack.SlackReceiver;
import io.replwatch.alerter.receiver.teams.TeamsConfig;
import io.replwatch.alerter.receiver.teams.TeamsReceiver;
import io.replwatch.alerter.receiver.webhook.WebhookConfig;
import io.replwatch.alerter.receiver.webhook.WebhookReceiver;
import io.replwatch.alerter.routing.InhibitRule;
import io.replwatch.alerter.routing.Matcher;
import io.replwatch.alerter.routing.Route;
import io.replwatch.alerter.routing.Silence;
import io.replwatch.runtime.config.ConfigNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * The alerter's configuration (YAML, {@code ${ENV}} substitution, every problem listed at once).
 *
 * <pre>
 * group_id: replwatch-alerter          # consumer group; also names the state topic (replwatch.alerter-state.GROUP)
 * http_port: 9189                      # /api/v1/silences, /api/v1/alerts, /metrics, /health; 0 = any
 * http_bind: 127.0.0.1                 # the listener's address (0.0.0.0 in a container)
 * external_url: http://alerter:9189    # shown in payloads as the link back
 * kafka: {bootstrap.servers: kafka:9092}
 * schema_registry: {url: http://registry:8081}
 * route:                               # Alertmanager's routing tree
 *   receiver: dba-slack                # required at the root
 *   group_by: [cluster]                # default; ["..."] = every label
 *   group_wait: 2s                     # defaults: 2s, 1m, 4h (see the module README for why not 30s)
 *   group_interval: 1m
 *   repeat_interval: 4h
 *   routes:
 *     - matchers: ['severity=~"CRITICAL|DOWN"', 'cluster=~"orders-.*"']
 *       receiver: dba-pager
 *       continue: true
 * receivers: [...]                     # see each receiver's config class
 * inhibit_rules:                       # default: DOWN mutes the node's lag/slot alerts; FAILOVER mutes STANDBY_MISSING
 *   - {source_matchers: ['severity="DOWN"'], target_matchers: ['rule=~"LAG_.*"'], equal: [cluster, node]}
 * silences:
 *   - {matchers: ['cluster="lab"'], ends_at: "2027-01-01T00:00:00Z", comment: "lab rebuild"}
 * api: {token_file: /run/secrets/alerter-api-token}   # writes (silences) need it; see ApiSettings
 * </pre>
 */
public record AlerterConfig(
        String groupId,
        int httpPort,
        String httpBind,
        String externalUrl,
        Map<String, String> kafka,
        Map<String, String> registry,
        Route route,
        Map<String, ReceiverSettings> receiverSettings,
        Map<String, Function<Clock, Receiver>> receivers,
        List<InhibitRule> inhibitRules,
        List<Silence> silences,
        ApiSettings api) {

    private static final Set<String> TOP = Set.of("group_id", "http_port", "http_bind", "external_url", "kafka", "schema_registry",
            "route", "receivers", "inhibit_rules", "silences", "api");
    private static final Set<String> ROUTE = Set.of("receiver", "matchers", "continue", "group_by", "group_wait",
            "group_interval", "repeat_interval", "routes");
    public static final Set<String> TYPES = Set.of("webhook", "slack", "teams", "discord", "pagerduty",
            "alertmanager", "console");

    public static AlerterConfig load(final Path file) {
        return from(ConfigNode.load(file, System::getenv), System.out);
    }

    public static AlerterConfig parse(final String yaml, final Function<String, String> env) {
        return from(ConfigNode.parse(yaml, "(inline)", env), System.out);
    }

    public static AlerterConfig from(final ConfigNode root, final PrintStream console) {
        root.allowOnly(TOP);
        final String groupId = root.string("group_id", "replwatch-alerter");
        final int port = root.integer("http_port", 9189, 0, 65535);
        final String bind = OpsServer.BIND.read(root);
        final String external = root.string("external_url", null);
        final ConfigNode.KafkaSections sections = root.kafkaSections();

        final Map<String, ReceiverSettings> settings = new LinkedHashMap<>();
        final Map<String, Function<Clock, Receiver>> receivers = new LinkedHashMap<>();
        final List<ConfigNode> rs = root.list("receivers");
        if (!root.has("receivers") || rs.isEmpty()) {
            root.problem("receivers", "at least one receiver is required");
        }
        for (final ConfigNode r : rs) {
            final String name = r.requiredString("name");
            final String type = r.requiredString("type");
            if (name == null || type == null) {
                continue;
            }
            if (settings.containsKey(name)) {
                r.problem("name", "receiver '" + name + "' is defined twice");
                continue;
            }
            switch (type) {
                case "webhook" -> {
                    final WebhookConfig c = WebhookConfig.read(r, name);
                    settings.put(name, c.settings());
                    receivers.put(name, clock -> new WebhookReceiver(c, clock));
                }
                case "slack" -> {
                    final SlackConfig c = SlackConfig.read(r, name);
                    settings.put(name, c.settings());
                    receivers.put(name, clock -> new SlackReceiver(c));
                }
                case "teams" -> {
                    final TeamsConfig c = TeamsConfig.read(r, name);
                    settings.put(name, c.settings());
                    receivers.put(name, clock -> new TeamsReceiver(c));
                }
                case "discord" -> {
                    final DiscordConfig c = DiscordConfig.read(r, name);
                    settings.put(name, c.settings());
                    receivers.put(name, clock -> new DiscordReceiver(c));
                }
                case "pagerduty" -> {
                    final PagerDutyConfig c = PagerDutyConfig.read(r, name);
                    settings.put(name, c.settings());
                    receivers.put(name, clock -> new PagerDutyReceiver(c));
                }
                case "alertmanager" -> {
                    final AlertmanagerConfig c = AlertmanagerConfig.read(r, name);
                    settings.put(name, c.settings());
                    receivers.put(name, clock -> new AlertmanagerReceiver(c));
                }
                case "console" -> {
                    r.allowOnly(ReceiverSettings.KEYS);
                    final ReceiverSettings s = ReceiverSettings.read(r, name, "console", 0);
                    settings.put(name, s);
                    receivers.put(name, clock -> new ConsoleReceiver(s, console));
                }
                default -> r.problem("type", "unknown receiver type '" + type + "' (known: "
                        + String.join(", ", new java.util.TreeSet<>(TYPES)) + ")");
            }
        }

        final ConfigNode routeNode = root.child("route");
        if (!root.has("route")) {
            root.problem("route", "is required (at least: route: {receiver: NAME})");
        }
        final Route route = route(routeNode, "root", null, settings, true);

        final List<InhibitRule> inhibit = new ArrayList<>();
        if (root.has("inhibit_rules")) {
            for (final ConfigNode i : root.list("inhibit_rules")) {
                i.allowOnly(Set.of("source_matchers", "target_matchers", "equal"));
                final List<Matcher> source = matchers(i, "source_matchers");
                final List<Matcher> target = matchers(i, "target_matchers");
                if (source.isEmpty()) {
                    i.problem("source_matchers", "needs at least one matcher");
                }
                if (target.isEmpty()) {
                    i.problem("target_matchers", "needs at least one matcher");
                }
                inhibit.add(new InhibitRule(source, target, i.stringList("equal")));
            }
        } else {
            inhibit.addAll(InhibitRule.defaults());
        }

        final List<Silence> silences = new ArrayList<>();
        for (final ConfigNode s : root.list("silences")) {
            s.allowOnly(Set.of("matchers", "starts_at", "ends_at", "comment", "created_by"));
            final List<Matcher> m = matchers(s, "matchers");
            if (m.isEmpty()) {
                s.problem("matchers", "needs at least one matcher (a silence muting everything is a mistake)");
            }
            final Instant starts = instant(s, "starts_at", Instant.EPOCH);
            final Instant ends = instant(s, "ends_at", null);
            if (ends == null && !s.has("ends_at")) {
                s.problem("ends_at", "is required (ISO-8601, for example 2027-01-01T00:00:00Z)");
            }
            final String comment = s.string("comment", "");
            final String id = UUID.nameUUIDFromBytes((m + "|" + starts + "|" + ends + "|" + comment)
                    .getBytes(StandardCharsets.UTF_8)).toString();
            if (ends != null) {
                silences.add(new Silence(id, m, starts, ends, s.string("created_by", "config"), comment));
            }
        }
        final ApiSettings api = root.has("api") ? ApiSettings.read(root.child("api")) : ApiSettings.defaults();
        root.throwIfProblems();
        return new AlerterConfig(groupId, port, bind, external, sections.kafka(), sections.registry(), route, settings,
                receivers, inhibit, silences, api);
    }

    private static Route route(final ConfigNode n, final String id, final Route parent,
                               final Map<String, ReceiverSettings> receivers, final boolean isRoot) {
        n.allowOnly(ROUTE);
        String receiver = n.string("receiver", parent == null ? null : parent.receiver());
        if (receiver == null) {
            n.problem("receiver", "is required at the root route");
        } else if (!receivers.containsKey(receiver) && (n.has("receiver") || isRoot)) {
            n.problem("receiver", "names no receiver: '" + receiver + "' (defined: "
                    + String.join(", ", receivers.keySet()) + ")");
        }
        final List<Matcher> matchers = matchers(n, "matchers");
        if (isRoot && !matchers.isEmpty()) {
            n.problem("matchers", "the root route matches every alert; put matchers on child routes");
        }
        final List<String> groupBy = n.has("group_by") ? n.stringList("group_by")
                : parent == null ? List.of("cluster") : parent.groupBy();
        final Duration wait = n.duration("group_wait", parent == null ? Duration.ofSeconds(2) : parent.groupWait(), Duration.ZERO);
        final Duration interval = n.duration("group_interval", parent == null ? Duration.ofMinutes(1) : parent.groupInterval(), Duration.ofMillis(1));
        final Duration repeat = n.duration("repeat_interval", parent == null ? Duration.ofHours(4) : parent.repeatInterval(), Duration.ofMillis(1));
        final boolean cont = n.bool("continue", false);
        if (isRoot && n.has("continue")) {
            n.problem("continue", "has no meaning on the root route");
        }
        final Route self = new Route(id, receiver, matchers, cont, groupBy, wait, interval, repeat, List.of());
        final List<Route> children = new ArrayList<>();
        final List<ConfigNode> kids = n.list("routes");
        for (int i = 0; i < kids.size(); i++) {
            children.add(route(kids.get(i), id + "." + i, self, receivers, false));
        }
        return new Route(id, receiver, matchers, cont, groupBy, wait, interval, repeat, children);
    }

    private static List<Matcher> matchers(final ConfigNode n, final String key) {
        final List<Matcher> out = new ArrayList<>();
        final List<String> texts = n.stringList(key);
        for (int i = 0; i < texts.size(); i++) {
            try {
                out.add(Matcher.parse(texts.get(i)));
            } catch (final IllegalArgumentException e) {
                n.problem(key + "[" + i + "]", e.getMessage());
            }
        }
        return out;
    }

    private static Instant instant(final ConfigNode n, final String key, final Instant dflt) {
        final String v = n.string(key, null);
        if (v == null) {
            return dflt;
        }
        try {
            return Instant.parse(v.trim());
        } catch (final java.time.format.DateTimeParseException e) {
            n.problem(key, "must be an ISO-8601 instant such as 2027-01-01T00:00:00Z (got '" + v + "')");
            return null;
        }
    }

    /** The state topic of this alerter's consumer group. */
    public String stateTopic() {
        return "replwatch.alerter-state." + groupId;
    }
}
