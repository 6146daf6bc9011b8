package io.replwatch.runtime.config;

import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A read-only map of client properties whose {@code toString()} masks the values of secret keys (passwords, tokens,
 * {@code sasl.jaas.config}, {@code basic.auth.user.info} ...), so that a configuration record printed in a log
 * line or an exception never carries them. Lookups return the real values.
 */
public final class SecretMasking extends AbstractMap<String, String> {

    private final Map<String, String> values;

    private SecretMasking(final Map<String, String> values) {
        this.values = values;
    }

    /** An unmodifiable copy of {@code values}, in their order, that prints with secrets masked. */
    public static Map<String, String> of(final Map<String, String> values) {
        return new SecretMasking(java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values)));
    }

    /** Whether a property's value is a secret: by its name, as in {@link ConfigNode#isSecretKey}, plus JAAS. */
    public static boolean isSecret(final String key) {
        final String k = key.toLowerCase(java.util.Locale.ROOT);
        return ConfigNode.isSecretKey(k) || k.contains("jaas") || k.contains("sasl.oauthbearer.client")
                || k.endsWith(".auth.info");
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return values.entrySet();
    }

    @Override
    public String get(final Object key) {
        return values.get(key);
    }

    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder("{");
        values.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append('=')
                .append(isSecret(k) ? "****" : v));
        return sb.append('}').toString();
    }
}
