package io.replwatch.processor.health;

import io.replwatch.avro.LagTrend;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which standby is safe to promote: the manual failover procedure's first two steps (stop writes, pick the most
 * caught-up standby) as a pure function of what the processor sees. A standby is eligible when it streams, is on the
 * primary's timeline, is not tagged nofailover, is within maximum_lag_on_failover (Patroni's, when the cluster has
 * one) and, under Patroni's synchronous_mode, is the synchronous standby (Patroni promotes no other). Eligible ones
 * come first; then synchronous before potential before asynchronous; then the least WAL not yet flushed (what is
 * lost if it is promoted now), the least replay lag, the least true time lag, and the name (ties are stable).
 */
public final class FailoverRanking {

    private FailoverRanking() {
    }

    /**
     * A standby as the ranking sees it. {@code unreplicatedBytes}: WAL the primary wrote that it has not flushed
     * (null: unknown); {@code patroniLag}: the lag Patroni reports (bytes), which its own failover uses.
     */
    public record Candidate(String node, boolean down, boolean streaming, String syncState, Long unreplicatedBytes,
                            Long replayLagBytes, Long timeLagMs, LagTrend trend, Integer timeline, boolean nofailover,
                            Long patroniLag) {
    }

    /**
     * What eligibility is judged by: the primary's timeline (null: unknown), Patroni's synchronous_mode (null: not
     * Patroni) and maximum_lag_on_failover (bytes; null: no limit).
     */
    public record Policy(Integer primaryTimeline, Boolean synchronousMode, Long maximumLagOnFailover) {
        public String describe() {
            if (synchronousMode == null) {
                return "streaming, on the primary's timeline" + (maximumLagOnFailover == null ? ""
                        : ", within " + ThresholdUnit.BYTES.format((double) maximumLagOnFailover));
            }
            return "Patroni: " + (synchronousMode ? "synchronous_mode (only the synchronous standby)" : "asynchronous")
                    + ", maximum_lag_on_failover " + (maximumLagOnFailover == null ? "unset"
                    : ThresholdUnit.BYTES.format((double) maximumLagOnFailover)) + ", nofailover tags";
        }
    }

    public record Ranked(Candidate candidate, int rank, boolean eligible, List<String> reasons) {
    }

    public record Result(List<Ranked> ranked, String pick, String why, String policy) {
        public boolean anyEligible() {
            return pick != null;
        }
    }

    public static Result rank(final List<Candidate> candidates, final Policy policy) {
        final List<Ranked> judged = new ArrayList<>();
        for (final Candidate c : candidates) {
            judged.add(new Ranked(c, 0, false, reasons(c, policy)));
        }
        judged.sort(Comparator.<Ranked>comparingInt(r -> r.reasons().isEmpty() ? 0 : 1)
                .thenComparingInt(r -> syncOrder(r.candidate().syncState()))
                .thenComparing(r -> r.candidate().unreplicatedBytes(), Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(r -> r.candidate().replayLagBytes(), Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(r -> r.candidate().timeLagMs(), Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(r -> r.candidate().node()));
        final List<Ranked> ranked = new ArrayList<>(judged.size());
        for (int i = 0; i < judged.size(); i++) {
            final Ranked r = judged.get(i);
            ranked.add(new Ranked(r.candidate(), i + 1, r.reasons().isEmpty(), r.reasons()));
        }
        if (ranked.isEmpty()) {
            return new Result(ranked, null, "no standby is known", policy.describe());
        }
        final Ranked best = ranked.get(0);
        if (!best.eligible()) {
            final List<String> why = new ArrayList<>();
            for (final Ranked r : ranked) {
                why.add(r.candidate().node() + ": " + String.join(", ", r.reasons()));
            }
            return new Result(ranked, null, "no standby is eligible (" + String.join("; ", why) + ")", policy.describe());
        }
        return new Result(ranked, best.candidate().node(), why(best, ranked), policy.describe());
    }

    private static String why(final Ranked best, final List<Ranked> ranked) {
        final Candidate c = best.candidate();
        final StringBuilder b = new StringBuilder();
        b.append(c.syncState() == null ? "streaming" : c.syncState() + ", streaming");
        b.append(", ").append(c.unreplicatedBytes() == null ? "unreplicated WAL unknown"
                : human(c.unreplicatedBytes()) + " not yet flushed on it");
        if (c.replayLagBytes() != null) {
            b.append(", replay ").append(human(c.replayLagBytes())).append(" behind");
        }
        if (c.timeLagMs() != null) {
            b.append(" (").append(ThresholdUnit.DURATION.format((double) c.timeLagMs())).append(")");
        }
        final long others = ranked.stream().filter(Ranked::eligible).count() - 1;
        b.append(others == 0 ? "; the only eligible standby" : "; ahead of " + others + " other eligible");
        return b.toString();
    }

    /** Why a standby is not eligible; empty when it is. */
    static List<String> reasons(final Candidate c, final Policy p) {
        final List<String> r = new ArrayList<>();
        if (c.down()) {
            r.add("DOWN");
        } else if (!c.streaming()) {
            r.add("not streaming");
        }
        if (c.nofailover()) {
            r.add("tagged nofailover");
        }
        if (p.primaryTimeline() != null && c.timeline() != null && !c.timeline().equals(p.primaryTimeline())) {
            r.add("on timeline " + c.timeline() + ", the primary's is " + p.primaryTimeline());
        }
        final Long lag = c.patroniLag() != null ? c.patroniLag() : c.unreplicatedBytes();
        if (p.maximumLagOnFailover() != null) {
            if (lag == null) {
                r.add("lag unknown");
            } else if (lag > p.maximumLagOnFailover()) {
                r.add(human(lag) + " behind, beyond maximum_lag_on_failover "
                        + ThresholdUnit.BYTES.format((double) p.maximumLagOnFailover()));
            }
        } else if (c.unreplicatedBytes() == null && !c.down() && c.streaming()) {
            r.add("lag unknown");
        }
        if (Boolean.TRUE.equals(p.synchronousMode()) && !"sync".equals(c.syncState()) && !"quorum".equals(c.syncState())) {
            r.add("not the synchronous standby (synchronous_mode)");
        }
        return r;
    }

    /** Bytes as a person reads them: {@code 0 B}, {@code 812 B}, {@code 4.4 MiB}. */
    static String human(final long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes / 1024d;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static int syncOrder(final String syncState) {
        if (syncState == null) {
            return 3;
        }
        return switch (syncState) {
            case "sync", "quorum" -> 0;
            case "potential" -> 1;
            default -> 2;
        };
    }
}
