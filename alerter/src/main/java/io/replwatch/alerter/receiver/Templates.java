package io.replwatch.alerter.receiver;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheException;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.Notification;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Message title and text rendered with Mustache (logic-less, so a template cannot break delivery). Values are
 * not HTML-escaped: every receiver writes JSON with a JSON library, which escapes what JSON needs.
 *
 * <p>What a template sees: {@code status} (firing/resolved), {@code STATUS}, {@code severity} (worst firing),
 * {@code receiver}, {@code group_labels_text}, {@code group_labels} (list of name/value), {@code common_labels},
 * {@code alerts}, {@code firing}, {@code resolved} (lists of alerts), {@code firing_count},
 * {@code resolved_count}, {@code has_firing}, {@code has_resolved}, {@code external_url}. Each alert: status,
 * cluster, node, rule, severity, message, value, threshold, starts_at, ends_at, transition_id, fingerprint,
 * labels.
 */
public final class Templates {

    public static final String DEFAULT_TITLE =
            "[{{STATUS}}{{#has_firing}}:{{firing_count}}{{/has_firing}}] {{group_labels_text}}";
    public static final String DEFAULT_TEXT =
            "{{#firing}}{{severity}} {{cluster}}/{{node}} {{rule}}: {{message}}\n{{/firing}}"
            + "{{#resolved}}RESOLVED {{cluster}}/{{node}} {{rule}}\n{{/resolved}}";

    private static final DefaultMustacheFactory FACTORY = new DefaultMustacheFactory() {
        @Override
        public void encode(final String value, final Writer writer) {
            try {
                writer.write(value);
            } catch (final IOException e) {
                throw new MustacheException(e);
            }
        }
    };

    private final Mustache title;
    private final Mustache text;

    public Templates(final String title, final String text) {
        this.title = compile(title == null ? DEFAULT_TITLE : title, "title");
        this.text = compile(text == null ? DEFAULT_TEXT : text, "text");
    }

    public static Templates defaults() {
        return new Templates(null, null);
    }

    /** Compiles a template; a malformed one throws IllegalArgumentException with the reason. */
    public static Mustache compile(final String template, final String name) {
        try {
            return FACTORY.compile(new StringReader(template), name);
        } catch (final MustacheException e) {
            throw new IllegalArgumentException("template '" + name + "' does not compile: " + e.getMessage(), e);
        }
    }

    public String title(final Notification n) {
        return render(title, n).trim();
    }

    public String text(final Notification n) {
        return render(text, n).strip();
    }

    private static String render(final Mustache m, final Notification n) {
        final StringWriter w = new StringWriter();
        m.execute(w, context(n));
        return w.toString();
    }

    public static Map<String, Object> context(final Notification n) {
        final Map<String, Object> c = new LinkedHashMap<>();
        c.put("status", n.status().lower());
        c.put("STATUS", n.status().name());
        c.put("severity", n.worstSeverity());
        c.put("receiver", n.receiver());
        c.put("group_labels_text", labelsText(n.groupLabels()));
        final List<Map<String, String>> gl = new ArrayList<>();
        n.groupLabels().forEach((k, v) -> gl.add(Map.of("name", k, "value", v)));
        c.put("group_labels", gl);
        c.put("common_labels", n.commonLabels());
        c.put("alerts", n.alerts().stream().map(Templates::alert).toList());
        c.put("firing", n.firingAlerts().stream().map(Templates::alert).toList());
        c.put("resolved", n.resolvedAlerts().stream().map(Templates::alert).toList());
        c.put("firing_count", n.firingAlerts().size());
        c.put("resolved_count", n.resolvedAlerts().size());
        c.put("has_firing", !n.firingAlerts().isEmpty());
        c.put("has_resolved", !n.resolvedAlerts().isEmpty());
        c.put("external_url", n.externalUrl() == null ? "" : n.externalUrl());
        return c;
    }

    static Map<String, Object> alert(final Alert a) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", a.status().lower());
        m.put("cluster", a.cluster());
        m.put("node", a.node());
        m.put("rule", a.rule());
        m.put("severity", a.severity());
        m.put("message", a.message());
        m.put("value", value(a.value(), a.unit()));
        m.put("threshold", value(a.threshold(), a.unit()));
        m.put("starts_at", a.startsAt().toString());
        m.put("ends_at", a.endsAt() == null ? "" : a.endsAt().toString());
        m.put("transition_id", a.transitionId());
        m.put("fingerprint", a.fingerprint());
        m.put("labels", a.labels());
        return m;
    }

    public static String labelsText(final Map<String, String> labels) {
        final StringBuilder b = new StringBuilder();
        labels.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append('=').append(v));
        return b.toString();
    }

    /** A measured value for people: ms as seconds, bytes in binary units, else the number. */
    public static String value(final Double v, final String unit) {
        if (v == null) {
            return "";
        }
        if ("ms".equals(unit)) {
            return String.format(Locale.ROOT, "%.1f s", v / 1000);
        }
        if ("bytes".equals(unit)) {
            final String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
            double x = v;
            int i = 0;
            while (Math.abs(x) >= 1024 && i < units.length - 1) {
                x /= 1024;
                i++;
            }
            return i == 0 ? String.format(Locale.ROOT, "%.0f B", x) : String.format(Locale.ROOT, "%.1f %s", x, units[i]);
        }
        final String num = v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
        return unit == null || unit.isEmpty() ? num : num + " " + unit;
    }
}
