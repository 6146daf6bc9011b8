package io.replwatch.processor.rollup;

import java.util.Map;
import java.util.TreeMap;

/**
 * One node's (or, merged, one cluster's) figures over one hour or day, as kept in its state until the period
 * closes. Percentiles come from sparse log-scale histograms: bucket {@code b} holds values up to
 * {@code 2^(b/4)}, so a percentile is off by at most 19 % (and exact at zero, the common lag of a healthy fleet).
 */
public final class RollupAcc {

    public String period;
    public long start;
    public long end;
    public long samples;
    public long ok;
    public long walBytes;
    public Double walRateMax;
    public Long lagBytesMax;
    public Long lagMsMax;
    public Long slotMax;
    public int slotCount;
    public long conflicts;
    public Map<Integer, Long> walRate = new TreeMap<>();
    public Map<Integer, Long> lagBytes = new TreeMap<>();
    public Map<Integer, Long> lagMs = new TreeMap<>();
    /**
     * A primary's logical slots over the period, by name (node rows only; a cluster's merged row keeps none). Kept
     * in node state from its format V5 on, outside the rollup's own layout (so not in the legacy JSON form either).
     */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public Map<String, SlotAcc> logical = new TreeMap<>();

    /** One logical slot over the period: what it retained at most, how far behind its consumer was at most. */
    public static final class SlotAcc {
        public String plugin;
        public String consumer;
        public Long retainedMax;
        public Long lagBytesMax;
        public Long lagMsMax;
    }

    public static RollupAcc open(final String period, final long start, final long end) {
        final RollupAcc a = new RollupAcc();
        a.period = period;
        a.start = start;
        a.end = end;
        return a;
    }

    /** ln 2, once: the same value Math.log(2) gives on every call (so the same buckets), without the call. */
    private static final double LN2 = Math.log(2);

    static int bucket(final double v) {
        return v <= 0 ? 0 : 1 + (int) Math.floor(4 * Math.log(v) / LN2);
    }

    static double upper(final int bucket) {
        return bucket == 0 ? 0 : Math.pow(2, bucket / 4.0);
    }

    static void add(final Map<Integer, Long> h, final double v) {
        h.merge(bucket(v), 1L, Long::sum);
    }

    /** The q-quantile (0..1) of a histogram, capped by the exact maximum; null when empty. */
    static Double quantile(final Map<Integer, Long> h, final double q, final Double max) {
        final long n = h.values().stream().mapToLong(Long::longValue).sum();
        if (n == 0) {
            return null;
        }
        final long rank = (long) Math.ceil(q * n);
        long seen = 0;
        for (final Map.Entry<Integer, Long> e : new TreeMap<>(h).entrySet()) {
            seen += e.getValue();
            if (seen >= rank) {
                final double v = upper(e.getKey());
                return max == null ? v : Math.min(v, max);
            }
        }
        return max;
    }

    /** Adds another accumulator of the same period (a node into its cluster). */
    public void merge(final RollupAcc o) {
        samples += o.samples;
        ok += o.ok;
        walBytes += o.walBytes;
        walRateMax = max(walRateMax, o.walRateMax);
        lagBytesMax = max(lagBytesMax, o.lagBytesMax);
        lagMsMax = max(lagMsMax, o.lagMsMax);
        slotMax = max(slotMax, o.slotMax);
        slotCount = Math.max(slotCount, o.slotCount);
        conflicts += o.conflicts;
        o.walRate.forEach((k, v) -> walRate.merge(k, v, Long::sum));
        o.lagBytes.forEach((k, v) -> lagBytes.merge(k, v, Long::sum));
        o.lagMs.forEach((k, v) -> lagMs.merge(k, v, Long::sum));
    }

    /**
     * Adds a node's closed hour into its open day, slots included: the hours of a day are merged in order, so the
     * day's slot plugin and consumer are the last ones seen, as when every sample was folded into the day.
     */
    public void mergeHour(final RollupAcc hour) {
        merge(hour);
        hour.logical.forEach((name, h) -> {
            final SlotAcc d = logical.computeIfAbsent(name, k -> new SlotAcc());
            d.plugin = h.plugin;
            if (h.consumer != null) {
                d.consumer = h.consumer;
            }
            d.retainedMax = max(d.retainedMax, h.retainedMax);
            d.lagBytesMax = max(d.lagBytesMax, h.lagBytesMax);
            d.lagMsMax = max(d.lagMsMax, h.lagMsMax);
        });
    }

    /**
     * Takes out what {@code part} added (counts, sums and histograms; the maxima stay, which the later merge of the
     * part gives back anyway). For state written before days held closed hours only: its open day also held the
     * open hour.
     */
    void subtract(final RollupAcc part) {
        samples -= part.samples;
        ok -= part.ok;
        walBytes -= part.walBytes;
        conflicts -= part.conflicts;
        subtract(walRate, part.walRate);
        subtract(lagBytes, part.lagBytes);
        subtract(lagMs, part.lagMs);
    }

    private static void subtract(final Map<Integer, Long> from, final Map<Integer, Long> part) {
        part.forEach((k, v) -> from.computeIfPresent(k, (b, n) -> n > v ? n - v : null));
    }

    static <T extends Comparable<T>> T max(final T a, final T b) {
        return a == null ? b : b == null ? a : a.compareTo(b) >= 0 ? a : b;
    }
}
