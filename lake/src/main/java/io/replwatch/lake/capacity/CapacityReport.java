package io.replwatch.lake.capacity;

import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.RollupPeriod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.specific.SpecificData;
import io.replwatch.lake.sink.ParquetRows;

/**
 * Capacity figures from the lake's rollups: per cluster (and per node), WAL per day with its linear trend,
 * peak WAL rates, lag percentiles, slot retention, and the WAL volume forecast for the next 30 and 90 days.
 * Days come from DAY rollups, or are summed from HOUR rollups where a day has none yet.
 */
public final class CapacityReport {

    /** One series (a cluster, or one of its nodes). */
    public record Series(String cluster, String node, TreeMap<LocalDate, Double> walPerDay, double walRatePeak,
                         Double walRateP95, Long lagMsP95, Long lagBytesMax, Long slotRetainedMax, long conflicts,
                         Double availability, LinearFit fit, double next30, double next90) {

        public String name() {
            return node == null ? cluster : cluster + "/" + node;
        }
    }

    /**
     * One logical slot's consumer over the rollups read: the most WAL its slot held on its primary, how far behind
     * (bytes, true time) it was at most, and the last WAL sender seen streaming it.
     */
    public record Consumer(String cluster, String node, String slot, String plugin, String consumer, Long retainedMax,
                           Long lagBytesMax, Long lagMsMax) {

        public String name() {
            return cluster + "/" + node + " slot " + slot;
        }
    }

    private CapacityReport() {
    }

    /**
     * The largest consumers of retained WAL: every primary's logical slots in the rollups (hours and days), each
     * with its maxima over them, the most retained first, at most {@code top}.
     */
    public static List<Consumer> consumers(final List<CapacityRollup> rollups, final int top) {
        final Map<String, Consumer> by = new TreeMap<>();
        for (final CapacityRollup r : rollups) {
            if (r.getNode() == null) {
                continue;
            }
            for (final io.replwatch.avro.LogicalSlotRollup l : r.getLogicalSlots()) {
                by.merge(r.getCluster() + "\u0000" + r.getNode() + "\u0000" + l.getSlot(),
                        new Consumer(r.getCluster(), r.getNode(), l.getSlot(), l.getPlugin(), l.getConsumer(),
                                l.getRetainedBytesMax(), l.getLagBytesMax(), l.getLagMsMax()),
                        (a, b) -> new Consumer(a.cluster(), a.node(), a.slot(), b.plugin() == null ? a.plugin() : b.plugin(),
                                b.consumer() == null ? a.consumer() : b.consumer(), max(a.retainedMax(), b.retainedMax()),
                                max(a.lagBytesMax(), b.lagBytesMax()), max(a.lagMsMax(), b.lagMsMax())));
            }
        }
        return by.values().stream()
                .sorted(java.util.Comparator.comparing((Consumer c) -> c.retainedMax() == null ? -1L : c.retainedMax())
                        .reversed().thenComparing(Consumer::name))
                .limit(top).toList();
    }

    /** The plain-text list of {@link #consumers}; empty when there are none. */
    public static String consumersText(final List<Consumer> consumers) {
        if (consumers.isEmpty()) {
            return "";
        }
        final StringBuilder b = new StringBuilder("\nlargest consumers of retained WAL (logical slots)\n");
        for (final Consumer c : consumers) {
            b.append(String.format(java.util.Locale.ROOT, "  %s (%s%s): retained max %s; behind max %s, %s%n",
                    c.name(), c.plugin() == null ? "?" : c.plugin(), c.consumer() == null ? "" : ", to " + c.consumer(),
                    c.retainedMax() == null ? "-" : bytes(c.retainedMax()),
                    c.lagBytesMax() == null ? "-" : bytes(c.lagBytesMax()),
                    c.lagMsMax() == null ? "-" : String.format(java.util.Locale.ROOT, "%.1f s", c.lagMsMax() / 1000.0)));
        }
        return b.toString();
    }

    /**
     * Reads every rollup file of the lake (optionally only one cluster's rows), whichever layout wrote them: a
     * {@code cluster=} directory is skipped whole when it is another cluster's; files of {@code layout: date}
     * hold every cluster, so their rows are filtered.
     */
    public static List<CapacityRollup> read(final Path lake, final String cluster) throws IOException {
        io.replwatch.serde.AvroTrust.init();
        final Path dir = lake.resolve("rollups");
        final List<CapacityRollup> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        final String own = cluster == null ? null
                : "cluster=" + java.net.URLEncoder.encode(cluster, java.nio.charset.StandardCharsets.UTF_8);
        final SpecificData model = new SpecificData();
        model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        final List<Path> files;
        try (Stream<Path> w = Files.walk(dir)) {
            files = w.filter(p -> p.toString().endsWith(".parquet"))
                    .filter(p -> own == null || !otherCluster(dir.relativize(p), own))
                    .sorted().toList();
        }
        for (final Path f : files) {
            ParquetRows.<CapacityRollup>read(f, model, r -> {
                if (cluster == null || cluster.equals(r.getCluster())) {
                    out.add(r);
                }
            });
        }
        return out;
    }

    /** Whether a file's path (under the table) lies in a {@code cluster=} directory other than {@code own}. */
    private static boolean otherCluster(final Path rel, final String own) {
        for (final Path part : rel) {
            final String s = part.toString();
            if (s.startsWith("cluster=")) {
                return !s.equals(own);
            }
        }
        return false;
    }

    /** Builds the series: each cluster first, then its nodes. */
    public static List<Series> build(final List<CapacityRollup> rollups) {
        final Map<String, List<CapacityRollup>> byKey = new TreeMap<>();
        for (final CapacityRollup r : rollups) {
            byKey.computeIfAbsent(r.getCluster() + "\u0000" + (r.getNode() == null ? "" : r.getNode()), k -> new ArrayList<>())
                    .add(r);
        }
        final List<Series> out = new ArrayList<>();
        for (final List<CapacityRollup> rs : byKey.values()) {
            out.add(series(rs));
        }
        return out;
    }

    static Series series(final List<CapacityRollup> rs) {
        final CapacityRollup first = rs.get(0);
        final TreeMap<LocalDate, Double> days = new TreeMap<>();
        final Map<LocalDate, Double> fromHours = new TreeMap<>();
        double peak = 0;
        Double p95 = null;
        Long lagP95 = null;
        Long lagMax = null;
        Long slot = null;
        long conflicts = 0;
        long samples = 0;
        long ok = 0;
        for (final CapacityRollup r : rs) {
            final LocalDate d = date(r.getPeriodStart());
            if (r.getPeriod() == RollupPeriod.DAY) {
                days.put(d, (double) r.getWalBytes());
            } else {
                fromHours.merge(d, (double) r.getWalBytes(), Double::sum);
                // Peaks, percentiles and availability come from the hours (finer; days repeat them).
                peak = Math.max(peak, r.getWalRatePeak() == null ? 0 : r.getWalRatePeak());
                p95 = max(p95, r.getWalRateP95());
                lagP95 = max(lagP95, r.getLagMsP95());
                lagMax = max(lagMax, r.getLagBytesMax());
                slot = max(slot, r.getSlotRetainedBytesMax());
                conflicts += r.getRecoveryConflicts();
                samples += r.getSamples();
                ok += r.getOkSamples();
            }
        }
        fromHours.forEach(days::putIfAbsent);
        final double[] x = new double[days.size()];
        final double[] y = new double[days.size()];
        final LocalDate d0 = days.isEmpty() ? LocalDate.EPOCH : days.firstKey();
        int i = 0;
        for (final Map.Entry<LocalDate, Double> e : days.entrySet()) {
            x[i] = e.getKey().toEpochDay() - d0.toEpochDay();
            y[i] = e.getValue();
            i++;
        }
        final LinearFit fit = LinearFit.of(x, y);
        final double last = days.isEmpty() ? 0 : days.lastKey().toEpochDay() - d0.toEpochDay();
        return new Series(first.getCluster(), first.getNode(), days, peak, p95, lagP95, lagMax, slot, conflicts,
                samples == 0 ? null : (double) ok / samples, fit, fit.sumAhead(last, 30), fit.sumAhead(last, 90));
    }

    static LocalDate date(final Instant t) {
        return t.atZone(ZoneOffset.UTC).toLocalDate();
    }

    private static <T extends Comparable<T>> T max(final T a, final T b) {
        return a == null ? b : b == null ? a : a.compareTo(b) >= 0 ? a : b;
    }

    /** The plain-text report. */
    public static String text(final List<Series> all) {
        final StringBuilder b = new StringBuilder();
        if (all.isEmpty()) {
            return "No rollups in the lake yet (the processor emits hourly rollups an hour after it starts).\n";
        }
        for (final Series s : all) {
            b.append(s.node() == null ? "\ncluster " + s.cluster() + "\n" : "  node " + s.node() + "\n");
            final String in = s.node() == null ? "  " : "    ";
            b.append(in).append(String.format(java.util.Locale.ROOT, "WAL per day: %s over %d day(s); trend %s/day per day%n",
                    bytes(avg(s.walPerDay())), s.walPerDay().size(), signedBytes(s.fit().slope())));
            b.append(in).append(String.format(java.util.Locale.ROOT, "peak WAL rate %s/s (p95 %s/s); lag p95 %s, max %s; slot retention max %s; conflicts %d; availability %s%n",
                    bytes(s.walRatePeak()), s.walRateP95() == null ? "-" : bytes(s.walRateP95()),
                    s.lagMsP95() == null ? "-" : String.format(java.util.Locale.ROOT, "%.1f s", s.lagMsP95() / 1000.0),
                    s.lagBytesMax() == null ? "-" : bytes(s.lagBytesMax()),
                    s.slotRetainedMax() == null ? "-" : bytes(s.slotRetainedMax()), s.conflicts(),
                    s.availability() == null ? "-" : String.format(java.util.Locale.ROOT, "%.3f %%", s.availability() * 100)));
            b.append(in).append(String.format(java.util.Locale.ROOT, "forecast: next 30 days %s, next 90 days %s (fit R² %.2f, %s)%n",
                    bytes(s.next30()), bytes(s.next90()), Double.isNaN(s.fit().r2()) ? 0 : s.fit().r2(), s.fit().quality()));
        }
        return b.toString();
    }

    static double avg(final Map<LocalDate, Double> m) {
        return m.values().stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    public static String bytes(final double v) {
        final String[] u = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double x = v;
        int i = 0;
        while (Math.abs(x) >= 1024 && i < u.length - 1) {
            x /= 1024;
            i++;
        }
        return i == 0 ? String.format(java.util.Locale.ROOT, "%.0f B", x) : String.format(java.util.Locale.ROOT, "%.1f %s", x, u[i]);
    }

    static String signedBytes(final double v) {
        return (v >= 0 ? "+" : "-") + bytes(Math.abs(v));
    }

    /** Clusters' series only (node == null) and, when asked, one cluster. */
    public static List<Series> filter(final List<Series> all, final String cluster) {
        return all.stream().filter(s -> cluster == null || Objects.equals(cluster, s.cluster())).toList();
    }
}
