package io.replwatch.alerter.routing;

import io.replwatch.alerter.state.AlertJson;
import io.replwatch.alerter.state.StateStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Silences from the configuration (fixed) and from the HTTP API (kept in the state store so they survive a
 * restart). Expired silences are kept for {@link #RETENTION} so the API can still show them, then forgotten.
 */
public final class Silences {

    public static final Duration RETENTION = Duration.ofDays(1);
    static final String PREFIX = "silence/";

    private final Map<String, Silence> all = new LinkedHashMap<>();
    private final StateStore store;
    private final Clock clock;

    public Silences(final Collection<Silence> fromConfig, final StateStore store, final Clock clock) {
        this.store = store;
        this.clock = clock;
        fromConfig.forEach(s -> all.put(s.id(), s));
    }

    /** Whether any active silence mutes these labels now. */
    public synchronized boolean mutes(final Map<String, String> labels) {
        final Instant now = clock.instant();
        for (final Silence s : all.values()) {
            if (s.mutes(labels, now)) {
                return true;
            }
        }
        return false;
    }

    public synchronized Silence create(final List<Matcher> matchers, final Instant startsAt, final Instant endsAt,
                                       final String createdBy, final String comment) {
        if (matchers.isEmpty()) {
            throw new IllegalArgumentException("a silence needs at least one matcher");
        }
        if (!endsAt.isAfter(startsAt)) {
            throw new IllegalArgumentException("ends_at must be after starts_at");
        }
        final Silence s = new Silence(UUID.randomUUID().toString(), matchers, startsAt, endsAt, createdBy, comment);
        all.put(s.id(), s);
        persist(s);
        return s;
    }

    /** Expires a silence now; false when there is no such silence. */
    public synchronized boolean expire(final String id) {
        final Silence s = all.get(id);
        if (s == null) {
            return false;
        }
        final Silence e = s.expiredAt(clock.instant());
        all.put(id, e);
        persist(e);
        return true;
    }

    public synchronized List<Silence> list() {
        final Instant now = clock.instant();
        all.values().removeIf(s -> s.endsAt().plus(RETENTION).isBefore(now));
        return new ArrayList<>(all.values());
    }

    /** Restores a silence read back from the state store. */
    public synchronized void restore(final Silence s) {
        all.put(s.id(), s);
    }

    private void persist(final Silence s) {
        store.put(PREFIX + s.id(), s.toJson(null).toString(), () -> { });
    }

    public static boolean isSilenceKey(final String key) {
        return key.startsWith(PREFIX);
    }
}
