package io.replwatch.runtime.config;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One configuration key, declared once: its name, type, default, bounds and description. A service lists its keys
 * in one place; reading, the set of known keys (unknown keys are problems) and the README's key table all come
 * from that list, so they cannot drift apart.
 *
 * @param <T> the value's type
 */
public final class ConfigKey<T> {

    /** Reads the key's value from a node, recording a problem (and giving the default) when it is invalid. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(ConfigNode node, String key, T dflt);
    }

    private final String name;
    private final T dflt;
    private final String defaultText;
    private final String description;
    private final Reader<T> reader;

    private ConfigKey(final String name, final T dflt, final String defaultText, final String description,
                      final Reader<T> reader) {
        this.name = name;
        this.dflt = dflt;
        this.defaultText = defaultText;
        this.description = description;
        this.reader = reader;
    }

    public static ConfigKey<String> string(final String name, final String dflt, final String description) {
        return new ConfigKey<>(name, dflt, dflt == null ? "" : dflt, description, ConfigNode::string);
    }

    public static ConfigKey<Integer> integer(final String name, final int dflt, final int min, final int max,
                                             final String description) {
        return new ConfigKey<>(name, dflt, String.valueOf(dflt), description, (n, k, d) -> n.integer(k, d, min, max));
    }

    /** An integer whose default depends on the machine (the number of cores): shown as {@code defaultText}. */
    public static ConfigKey<Integer> integer(final String name, final int dflt, final String defaultText, final int min,
                                             final int max, final String description) {
        return new ConfigKey<>(name, dflt, defaultText, description, (n, k, d) -> n.integer(k, d, min, max));
    }

    public static ConfigKey<Duration> duration(final String name, final Duration dflt, final Duration min,
                                               final String description) {
        return new ConfigKey<>(name, dflt, Durations.format(dflt), description, (n, k, d) -> n.duration(k, d, min));
    }

    /** A key with a value of its own kind, read by {@code reader}, shown with {@code defaultText}. */
    public static <T> ConfigKey<T> of(final String name, final T dflt, final String defaultText, final String description,
                                      final Reader<T> reader) {
        return new ConfigKey<>(name, dflt, defaultText, description, reader);
    }

    /** A section (a mapping read by its own code, such as {@code kafka:} or {@code rules:}): declared, not read here. */
    public static ConfigKey<Void> section(final String name, final String description) {
        return new ConfigKey<>(name, null, "", description, (n, k, d) -> null);
    }

    /** The value under this key, or its default (a problem is recorded on {@code node} when it is invalid). */
    public T read(final ConfigNode node) {
        return reader.read(node, name, dflt);
    }

    /** As {@link #read}, with a default computed elsewhere (for example the machine's cores). */
    public T read(final ConfigNode node, final T otherDefault) {
        return reader.read(node, name, otherDefault);
    }

    public String name() {
        return name;
    }

    public T defaultValue() {
        return dflt;
    }

    public String defaultText() {
        return defaultText;
    }

    public String description() {
        return description;
    }

    /** The names of {@code keys}, in order: what {@link ConfigNode#allowOnly} takes. */
    public static Set<String> names(final List<ConfigKey<?>> keys) {
        final Set<String> names = new LinkedHashSet<>();
        keys.forEach(k -> names.add(k.name()));
        return names;
    }

    /** A Markdown table of {@code keys}: key, default, what it does (the README shows this very table). */
    public static String markdownTable(final List<ConfigKey<?>> keys) {
        final StringBuilder sb = new StringBuilder("| key | default | what it does |\n|---|---|---|\n");
        for (final ConfigKey<?> k : keys) {
            sb.append("| `").append(k.name()).append("` | ")
                    .append(k.defaultText().isEmpty() ? "" : "`" + k.defaultText() + "`")
                    .append(" | ").append(k.description()).append(" |\n");
        }
        return sb.toString();
    }

}
