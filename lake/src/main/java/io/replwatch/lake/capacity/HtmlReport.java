package io.replwatch.lake.capacity;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import java.io.StringWriter;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The capacity report as one self-contained HTML page (Mustache template, inline SVG charts, no scripts). */
public final class HtmlReport {

    private static final int BAR = 8;

    private HtmlReport() {
    }

    public static String render(final List<CapacityReport.Series> series, final String lake) {
        return render(series, List.of(), lake);
    }

    public static String render(final List<CapacityReport.Series> series, final List<CapacityReport.Consumer> consumers,
                                final String lake) {
        final Mustache m = new DefaultMustacheFactory().compile("io/replwatch/lake/capacity/report.html.mustache");
        final Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("generated_at", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        ctx.put("lake", lake);
        ctx.put("series", series.stream().map(HtmlReport::view).toList());
        ctx.put("consumers", consumers.stream().map(c -> {
            final Map<String, Object> v = new LinkedHashMap<>();
            v.put("name", c.name());
            v.put("plugin", c.plugin() == null ? "?" : c.plugin());
            v.put("consumer", c.consumer() == null ? "-" : c.consumer());
            v.put("retained", c.retainedMax() == null ? "-" : CapacityReport.bytes(c.retainedMax()));
            v.put("behind", c.lagBytesMax() == null ? "-" : CapacityReport.bytes(c.lagBytesMax()));
            v.put("behind_s", c.lagMsMax() == null ? "-" : String.format(Locale.ROOT, "%.1f s", c.lagMsMax() / 1000.0));
            return v;
        }).toList());
        ctx.put("has_consumers", !consumers.isEmpty());
        final StringWriter w = new StringWriter();
        m.execute(w, ctx);
        return w.toString();
    }

    private static Map<String, Object> view(final CapacityReport.Series s) {
        final Map<String, Object> v = new LinkedHashMap<>();
        v.put("is_cluster", s.node() == null);
        v.put("cluster", s.cluster());
        v.put("node", s.node());
        v.put("name", s.name());
        v.put("wal_per_day", CapacityReport.bytes(CapacityReport.avg(s.walPerDay())));
        v.put("trend", CapacityReport.signedBytes(s.fit().slope()));
        v.put("peak", CapacityReport.bytes(s.walRatePeak()));
        v.put("p95", s.walRateP95() == null ? "-" : CapacityReport.bytes(s.walRateP95()) + "/s");
        v.put("lag_p95", s.lagMsP95() == null ? "-" : String.format(Locale.ROOT, "%.1f s", s.lagMsP95() / 1000.0));
        v.put("lag_max", s.lagBytesMax() == null ? "-" : CapacityReport.bytes(s.lagBytesMax()));
        v.put("slot", s.slotRetainedMax() == null ? "-" : CapacityReport.bytes(s.slotRetainedMax()));
        v.put("availability", s.availability() == null ? "-" : String.format(Locale.ROOT, "%.3f %%", s.availability() * 100));
        v.put("next30", CapacityReport.bytes(s.next30()));
        v.put("next90", CapacityReport.bytes(s.next90()));
        v.put("r2", Double.isNaN(s.fit().r2()) ? "-" : String.format(Locale.ROOT, "%.2f", s.fit().r2()));
        v.put("quality", s.fit().quality());
        v.put("days", s.walPerDay().size());
        final int days = s.walPerDay().size();
        final int width = Math.max(120, (days + 30) * BAR + 10);
        v.put("width", width);
        double max = 1;
        for (final double d : s.walPerDay().values()) {
            max = Math.max(max, d);
        }
        final double lastX = days == 0 ? 0 : s.walPerDay().lastKey().toEpochDay() - s.walPerDay().firstKey().toEpochDay();
        max = Math.max(max, s.fit().at(lastX + 30));
        final List<Map<String, Object>> bars = new ArrayList<>();
        final LocalDate d0 = days == 0 ? LocalDate.EPOCH : s.walPerDay().firstKey();
        for (final Map.Entry<LocalDate, Double> e : s.walPerDay().entrySet()) {
            final long i = e.getKey().toEpochDay() - d0.toEpochDay();
            final double h = e.getValue() / max * 110;
            bars.add(Map.of("x", 5 + i * BAR, "y", String.format(Locale.ROOT, "%.1f", 115 - h), "w", BAR - 2,
                    "h", String.format(Locale.ROOT, "%.1f", h), "label", e.getKey() + ": " + CapacityReport.bytes(e.getValue())));
        }
        v.put("bars", bars);
        final StringBuilder line = new StringBuilder();
        for (double x = 0; x <= lastX + 30; x += 1) {
            final double y = Math.max(0, s.fit().at(x)) / max * 110;
            line.append(String.format(Locale.ROOT, "%.1f,%.1f ", 5 + x * BAR + (BAR - 2) / 2.0, 115 - y));
        }
        v.put("forecast", days == 0 ? "" : line.toString().trim());
        return v;
    }
}
