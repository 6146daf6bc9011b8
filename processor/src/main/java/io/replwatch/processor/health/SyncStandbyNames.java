package io.replwatch.processor.health;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * synchronous_standby_names parsed: {@code s1, s2} (the first listed is synchronous: one needed),
 * {@code FIRST n (s1, s2)}, {@code ANY n (s1, s2)}, {@code n (s1, s2)} (FIRST), {@code *} (any standby).
 */
public record SyncStandbyNames(int required, List<String> names) {

    private static final Pattern METHOD = Pattern.compile("(?i)^\\s*(FIRST|ANY)?\\s*(\\d+)\\s*\\((.*)\\)\\s*$");

    /** Null when the setting is empty (asynchronous replication). */
    public static SyncStandbyNames parse(final String setting) {
        if (setting == null || setting.isBlank()) {
            return null;
        }
        final Matcher m = METHOD.matcher(setting);
        if (m.matches()) {
            return new SyncStandbyNames(Integer.parseInt(m.group(2)), names(m.group(3)));
        }
        return new SyncStandbyNames(1, names(setting));
    }

    private static List<String> names(final String list) {
        final List<String> out = new ArrayList<>();
        for (final String part : list.split(",")) {
            String n = part.trim();
            if (n.startsWith("\"") && n.endsWith("\"") && n.length() >= 2) {
                n = n.substring(1, n.length() - 1);
            } else {
                n = n.toLowerCase(Locale.ROOT);
            }
            if (!n.isEmpty()) {
                out.add(n);
            }
        }
        return out;
    }

    /** How many required synchronous standbys are missing, given the application names now streaming. */
    public int missing(final List<String> streaming) {
        int matching = 0;
        for (final String s : streaming) {
            if (names.contains("*") || names.contains(s) || names.contains(s.toLowerCase(Locale.ROOT))) {
                matching++;
            }
        }
        return Math.max(0, required - matching);
    }
}
