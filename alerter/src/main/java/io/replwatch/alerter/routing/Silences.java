package io.replwatch.alerter.routing;

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
import java.util.concurrent.CompletableFuture;

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

    /** A silence just written: it applies at once; {@code durable} completes once the state topic has it. */
    public record Write(Silence silence, CompletableFuture<Silence> durable) {
    }

    /**
     * Creates a silence; it mutes at once, and {@link Write#durable()} completes once it is written to the state
     * topic, so an API can answer 201 only then (and {@link #forget} it otherwise).
     */
    public synchronized Write create(final List<Matcher> matchers, final Instant startsAt,
                                                          final Instant endsAt, final String createdBy,
                                                          final String comment) {
        if (matchers.isEmpty()) {
            throw new IllegalArgumentException("a silence needs at least one matcher");
        }
        if (!endsAt.isAfter(startsAt)) {
            throw new IllegalArgumentException("ends_at must be after starts_at");
        }
        final Silence s = new Silence(UUID.randomUUID().toString(), matchers, startsAt, endsAt, createdBy, comment);
        all.put(s.id(), s);
        return new Write(s, persist(s));
    }

    /** Silences not yet expired (pending or active): what a cap on silences counts. */
    public synchronized int unexpired() {
        final Instant now = clock.instant();
        return (int) all.values().stream().filter(s -> now.isBefore(s.endsAt())).count();
    }

    /** Expires a silence now; null when there is no such silence. */
    public synchronized Write expire(final String id) {
        final Silence s = all.get(id);
        if (s == null) {
            return null;
        }
        final Silence e = s.expiredAt(clock.instant());
        all.put(id, e);
        return new Write(e, persist(e));
    }

    public synchronized List<Silence> list() {
        final Instant now = clock.instant();
        // Compared as "ended before now - retention", which cannot overflow whatever ends_at a silence carries.
        final Instant forgetBefore = now.minus(RETENTION);
        all.values().removeIf(s -> s.endsAt().isBefore(forgetBefore));
        return new ArrayList<>(all.values());
    }

    /** Restores a silence read back from the state store. */
    public synchronized void restore(final Silence s) {
        all.put(s.id(), s);
    }

    private CompletableFuture<Silence> persist(final Silence s) {
        final CompletableFuture<Silence> durable = new CompletableFuture<>();
        store.put(PREFIX + s.id(), s.toJson(null).toString(), () -> durable.complete(s));
        return durable;
    }

    /** Takes back a silence whose write did not become durable. */
    public synchronized void forget(final Silence s) {
        all.remove(s.id(), s);
    }

    public static boolean isSilenceKey(final String key) {
        return key.startsWith(PREFIX);
    }
}
