package io.replwatch.alerter.routing;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.Map;

/**
 * One label matcher in Alertmanager's syntax, which operators already write: {@code name="value"},
 * {@code name!="value"}, {@code name=~"regex"}, {@code name!~"regex"} (quotes optional). Regexes are anchored
 * at both ends, as in Alertmanager. A missing label matches as the empty string. Regexes are RE2 (as in
 * Alertmanager, which is written in Go): matching takes time linear in the input, so no pattern a silence
 * brings in can hang the dispatcher; backreferences and lookaround, which RE2 lacks, are refused.
 */
public record Matcher(String name, Op op, String value, Pattern pattern) {

    /** The four matcher operators. */
    public enum Op {
        EQ("="), NE("!="), RE("=~"), NRE("!~");

        final String text;

        Op(final String text) {
            this.text = text;
        }
    }

    private static final java.util.regex.Pattern SYNTAX = java.util.regex.Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(=~|!~|!=|=)\\s*(.*?)\\s*$");

    /** Parses one matcher; throws IllegalArgumentException with a readable message when malformed. */
    public static Matcher parse(final String text) {
        final java.util.regex.Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a matcher (write name=\"value\", name!=\"value\", "
                    + "name=~\"regex\" or name!~\"regex\")");
        }
        String v = m.group(3);
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1).replace("\\\"", "\"");
        }
        final Op op = switch (m.group(2)) {
            case "=" -> Op.EQ;
            case "!=" -> Op.NE;
            case "=~" -> Op.RE;
            default -> Op.NRE;
        };
        Pattern p = null;
        if (op == Op.RE || op == Op.NRE) {
            try {
                p = Pattern.compile("^(?:" + v + ")$");
            } catch (final PatternSyntaxException e) {
                throw new IllegalArgumentException("'" + text + "': bad regex: " + e.getDescription());
            }
        }
        return new Matcher(m.group(1), op, v, p);
    }

    public static Matcher equal(final String name, final String value) {
        return new Matcher(name, Op.EQ, value, null);
    }

    public boolean matches(final Map<String, String> labels) {
        final String actual = labels.getOrDefault(name, "");
        return switch (op) {
            case EQ -> actual.equals(value);
            case NE -> !actual.equals(value);
            case RE -> pattern.matcher(actual).matches();
            case NRE -> !pattern.matcher(actual).matches();
        };
    }

    public static boolean all(final Iterable<Matcher> matchers, final Map<String, String> labels) {
        for (final Matcher m : matchers) {
            if (!m.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return name + op.text + "\"" + value + "\"";
    }
}
