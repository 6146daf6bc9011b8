package io.replwatch.alerter.receiver;

import io.replwatch.runtime.config.ConfigNode;
import java.net.URI;

/** Receiver URLs from configuration: checked, and never quoted back (they often carry the secret). */
public final class Urls {

    private Urls() {
    }

    /** A required http(s) URL; a problem (without the URL's text) when missing or malformed. */
    public static URI required(final ConfigNode n, final String key) {
        final String v = n.string(key, null);
        if (v == null || v.isBlank()) {
            n.problem(key, "is required");
            return null;
        }
        return check(n, key, v);
    }

    public static URI optional(final ConfigNode n, final String key, final String dflt) {
        final String v = n.string(key, dflt);
        return check(n, key, v);
    }

    private static URI check(final ConfigNode n, final String key, final String v) {
        try {
            final URI u = URI.create(v.trim());
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
                    || u.getHost() == null) {
                n.problem(key, "must be an http:// or https:// URL with a host (value not shown: it may hold a secret)");
                return null;
            }
            return u;
        } catch (final IllegalArgumentException e) {
            n.problem(key, "is not a valid URL (value not shown: it may hold a secret)");
            return null;
        }
    }
}
