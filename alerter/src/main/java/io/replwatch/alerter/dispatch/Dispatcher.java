package io.replwatch.alerter.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.routing.InhibitRule;
import io.replwatch.alerter.routing.Route;
import io.replwatch.alerter.routing.Silences;
import io.replwatch.alerter.state.StateStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alertmanager's dispatch model, restart-safe: alerts are routed into aggregation groups; a group first flushes
 * {@code group_wait} after it was created, then at most every {@code group_interval} when something in it
 * changed, and repeats its firing alerts every {@code repeat_interval}. Silenced and inhibited alerts are left
 * out at flush time. A resolved alert whose firing was never sent is dropped silently (a flap shorter than
 * group_wait pages nobody).
 *
 * <p>A group has at most one notification in flight, so its receiver sees its news in order. When delivery ends
 * (delivered or dead-lettered) {@link #completed} records what the receiver now knows, writes the group to the
 * state store, and only then releases the consumed records' tokens so their offsets can be committed.
 *
 * <p>Thread-safe: the consumer thread ingests, a timer thread {@link #tick()}s, delivery threads complete.
 */
public final class Dispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    static final String PREFIX = "group/";

    /** What the dispatcher needs from delivery: send this, and call back when it is settled. */
    public interface Sink {
        void submit(Notification notification, Runnable settled);
    }

    private final Route root;
    private final Map<String, Route> routesById = new HashMap<>();
    private final List<InhibitRule> inhibitRules;
    private final Silences silences;
    private final StateStore state;
    private final Sink sink;
    private final Clock clock;
    private final String externalUrl;
    private final Map<String, AggregationGroup> groups = new HashMap<>();
    private final Map<String, Alert> active = new HashMap<>();

    public Dispatcher(final Route root, final List<InhibitRule> inhibitRules, final Silences silences,
                      final StateStore state, final Sink sink, final Clock clock, final String externalUrl) {
        this.root = root;
        root.flatten().forEach(r -> routesById.put(r.id(), r));
        this.inhibitRules = List.copyOf(inhibitRules);
        this.silences = silences;
        this.state = state;
        this.sink = sink;
        this.clock = clock;
        this.externalUrl = externalUrl;
    }

    /**
     * Takes the alert events of one consumed record. The token is retained for every group whose news changed
     * and released when that news is settled; the caller releases its own hold afterwards.
     */
    public synchronized void ingest(final List<Alert> events, final Token token, final Instant consumedAt) {
        final Instant now = clock.instant();
        for (final Alert a : events) {
            final Alert known = active.get(a.fingerprint());
            if (a.firing()) {
                active.put(a.fingerprint(), known != null && known.version().equals(a.version())
                        ? known.refreshedBy(a) : a);
            } else if (active.remove(a.fingerprint()) != null) {
                inhibitionChanged(a);
            }
            if (a.firing() && (known == null || !known.version().equals(a.version()))) {
                inhibitionChanged(a);
            }
            for (final Route r : root.match(a.labels())) {
                final Map<String, String> gl = r.groupLabels(a.labels());
                final String key = AggregationGroup.keyOf(r, gl);
                AggregationGroup g = groups.get(key);
                final Alert current = g == null ? null : g.alerts.get(a.fingerprint());
                if (current != null && current.version().equals(a.version())) {
                    g.alerts.put(a.fingerprint(), current.refreshedBy(a));
                    continue;
                }
                if (current == null && !a.firing()) {
                    continue; // resolving something this group never held (or already told): nothing to say
                }
                if (g == null) {
                    g = new AggregationGroup(key, r, gl, now);
                    groups.put(key, g);
                }
                g.alerts.put(a.fingerprint(), !a.firing() && current != null ? a.resolving(current) : a);
                g.hold(a.fingerprint(), token);
                g.nextCheck = Instant.MIN;
                if (g.oldestConsumedAt == null || consumedAt.isBefore(g.oldestConsumedAt)) {
                    g.oldestConsumedAt = consumedAt;
                }
                state.put(PREFIX + key, g.toJson().toString(), () -> { });
            }
        }
    }

    /** Flushes every group that is due. Called by a timer, and right after ingesting (group_wait 0). */
    public synchronized void tick() {
        final Instant now = clock.instant();
        for (final AggregationGroup g : new ArrayList<>(groups.values())) {
            if (!g.inFlight && !now.isBefore(g.nextCheck)) {
                flushIfDue(g, now);
            }
        }
    }

    private void flushIfDue(final AggregationGroup g, final Instant now) {
        final Route r = g.route;
        final Instant due = g.lastFlushAt == null ? g.createdAt.plus(r.groupWait()) : g.lastFlushAt.plus(r.groupInterval());
        final List<Alert> include = new ArrayList<>();
        final List<Token> settledNow = new ArrayList<>();
        final TreeSet<String> news = new TreeSet<>();
        boolean changed = false;
        boolean anyMuted = false;
        for (final Alert a : new ArrayList<>(g.alerts.values())) {
            if (a.firing()) {
                if (muted(a)) {
                    anyMuted = true;
                    continue;
                }
                include.add(a);
            } else if (g.notifiedFiring(a.fingerprint())) {
                include.add(a);
            } else if (!now.isBefore(due)) {
                // Fired and resolved before anyone was told: nothing to say.
                g.alerts.remove(a.fingerprint());
                settledNow.addAll(g.takeTokens(a.fingerprint()));
                changed = true;
                continue;
            } else {
                continue;
            }
            if (!a.version().equals(g.notified.get(a.fingerprint()))) {
                news.add(a.transitionId());
            }
        }
        if (now.isBefore(due)) {
            g.nextCheck = due;
            return;
        }
        final boolean repeat = news.isEmpty() && g.lastSentAt != null && include.stream().anyMatch(Alert::firing)
                && !now.isBefore(g.lastSentAt.plus(r.repeatInterval()));
        if (news.isEmpty() && !repeat) {
            // Nothing the receiver does not know (unchanged, or muted): settle what was waiting.
            for (final String fp : new ArrayList<>(g.pending.keySet())) {
                settledNow.addAll(g.takeTokens(fp));
            }
            if (g.lastFlushAt == null) {
                g.lastFlushAt = now;
                changed = true;
            }
            g.oldestConsumedAt = null;
            // Quiet until its repeat falls due; a group with muted alerts looks again each second, since
            // silences expire and inhibiting alerts resolve.
            Instant next = g.lastSentAt == null ? Instant.MAX : g.lastSentAt.plus(r.repeatInterval());
            if (anyMuted && now.plusSeconds(1).isBefore(next)) {
                next = now.plusSeconds(1);
            }
            g.nextCheck = next;
            if (!settledNow.isEmpty() || changed) {
                persist(g, settledNow);
            }
            return;
        }
        include.sort((x, y) -> Boolean.compare(!x.firing(), !y.firing()));
        final List<Token> carried = new ArrayList<>(settledNow);
        for (final String fp : new ArrayList<>(g.pending.keySet())) {
            carried.addAll(g.takeTokens(fp));
        }
        final String key;
        if (repeat) {
            g.repeats++;
            key = (g.lastKey == null ? digest(g.key) : g.lastKey) + "/repeat-" + g.repeats;
        } else {
            g.repeats = 0;
            key = news.size() == 1 ? news.first() : digest(g.route.receiver() + "\n" + String.join("\n", news));
            g.lastKey = key;
        }
        final Notification n = new Notification(r.receiver(), g.key, g.groupLabels, include, key, now,
                g.oldestConsumedAt == null ? now : g.oldestConsumedAt, externalUrl);
        g.inFlight = true;
        g.lastFlushAt = now;
        g.oldestConsumedAt = null;
        LOG.debug("Group {} flushes {} alert(s) to {}", g.key, include.size(), r.receiver());
        sink.submit(n, () -> completed(g, n, carried));
    }

    private void completed(final AggregationGroup g, final Notification n, final List<Token> carried) {
        // The one window where a crash can repeat a notification (under the same idempotency key).
        io.replwatch.runtime.fault.Failpoints.crashIf(io.replwatch.runtime.fault.Failpoints.ALERTER_AFTER_DELIVERY);
        synchronized (this) {
            g.inFlight = false;
            g.lastSentAt = clock.instant();
            for (final Alert a : n.alerts()) {
                g.notified.put(a.fingerprint(), a.version());
                final Alert now = g.alerts.get(a.fingerprint());
                if (!a.firing() && now != null && now.version().equals(a.version())) {
                    g.alerts.remove(a.fingerprint());
                    g.notified.remove(a.fingerprint());
                }
            }
            persist(g, carried);
            g.nextCheck = Instant.MIN;
            if (groups.get(g.key) == g) {
                flushIfDue(g, clock.instant());
            }
        }
    }

    private void persist(final AggregationGroup g, final List<Token> release) {
        final boolean empty = g.alerts.isEmpty() && g.pending.isEmpty() && !g.inFlight;
        if (empty) {
            groups.remove(g.key);
        }
        state.put(PREFIX + g.key, empty ? null : g.toJson().toString(), () -> release.forEach(Token::release));
    }

    /** Silenced, or inhibited by another firing alert. */
    public synchronized boolean muted(final Alert a) {
        if (silences.mutes(a.labels())) {
            return true;
        }
        for (int i = 0; i < inhibitRules.size(); i++) {
            final InhibitRule rule = inhibitRules.get(i);
            if (!rule.targets(a)) {
                continue;
            }
            final java.util.Set<String> sources = inhibitors(i).get(rule.equalKey(a));
            if (sources != null && (sources.size() > 1 || !sources.contains(a.fingerprint()))) {
                return true;
            }
        }
        return false;
    }

    /** Per inhibit rule: equal-label values to the fingerprints of firing source alerts; rebuilt when stale. */
    private final Map<Integer, Map<String, java.util.Set<String>>> inhibitIndex = new HashMap<>();

    private Map<String, java.util.Set<String>> inhibitors(final int rule) {
        return inhibitIndex.computeIfAbsent(rule, i -> {
            final Map<String, java.util.Set<String>> m = new HashMap<>();
            final InhibitRule r = inhibitRules.get(i);
            for (final Alert s : active.values()) {
                if (r.sources(s)) {
                    m.computeIfAbsent(r.equalKey(s), k -> new java.util.HashSet<>()).add(s.fingerprint());
                }
            }
            return m;
        });
    }

    /** A firing alert appeared, changed or went: if it is a source of inhibition, other groups must look again. */
    private void inhibitionChanged(final Alert a) {
        boolean source = false;
        for (final InhibitRule r : inhibitRules) {
            source |= r.sources(a);
        }
        if (source) {
            inhibitIndex.clear();
            groups.values().forEach(g -> g.nextCheck = Instant.MIN);
        }
    }

    /** Restores a group read back from the state store (before consuming starts). */
    public synchronized void restore(final String key, final JsonNode json) {
        if (!key.startsWith(PREFIX)) {
            return;
        }
        final Route r = routesById.get(json.path("route").asText());
        if (r == null) {
            LOG.warn("State for group {} names a route the configuration no longer has; dropped", key);
            return;
        }
        final AggregationGroup g = AggregationGroup.fromJson(json, r);
        groups.put(g.key, g);
        g.alerts.values().stream().filter(Alert::firing).forEach(a -> active.put(a.fingerprint(), a));
    }

    public static boolean isGroupKey(final String key) {
        return key.startsWith(PREFIX);
    }

    /** Firing alerts, for the HTTP API. */
    public synchronized List<Alert> activeAlerts() {
        return new ArrayList<>(active.values());
    }

    public synchronized int groupCount() {
        return groups.size();
    }

    /** A group's view for the HTTP API: key, receiver, alert count, in flight. */
    public synchronized List<Map<String, Object>> groups() {
        final List<Map<String, Object>> out = new ArrayList<>();
        for (final AggregationGroup g : groups.values()) {
            final Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("key", g.key);
            m.put("receiver", g.route.receiver());
            m.put("labels", g.groupLabels);
            m.put("alerts", g.alerts.size());
            m.put("in_flight", g.inFlight);
            m.put("last_sent_at", g.lastSentAt == null ? null : g.lastSentAt.toString());
            out.add(m);
        }
        return out;
    }

    static String digest(final String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)), 0, 16);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
