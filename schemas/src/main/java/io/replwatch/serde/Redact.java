package io.replwatch.serde;

import java.util.regex.Pattern;

/** Removes credentials from text before it reaches a log line, an exception message or a metric label. */
public final class Redact {

    private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^/@\\s]+@");
    private static final Pattern SECRET_PARAM = Pattern.compile(
            "(?i)((?:password|passwd|pwd|token|secret|key|api[_-]?key|access[_-]?token|sig|signature|routing[_-]?key)=)[^&\\s'\"]+");

    private Redact() {
    }

    /**
     * A URL with its user-info replaced by {@code ***@} and the values of secret-looking query parameters by
     * {@code ***}. Paths are kept: use {@link #urlOrigin(String)} where the path itself is the secret
     * (Slack, Discord and Teams webhook URLs).
     */
    public static String url(final String url) {
        if (url == null) {
            return null;
        }
        return SECRET_PARAM.matcher(USER_INFO.matcher(url).replaceAll("***@")).replaceAll("$1***");
    }

    /** Only scheme, host and port, for URLs whose path carries a token. */
    public static String urlOrigin(final String url) {
        if (url == null) {
            return null;
        }
        final String noUser = USER_INFO.matcher(url).replaceAll("");
        final int schemeEnd = noUser.indexOf("://");
        final int pathStart = schemeEnd < 0 ? -1 : noUser.indexOf('/', schemeEnd + 3);
        return pathStart < 0 ? noUser : noUser.substring(0, pathStart) + "/***";
    }

    /** Free text (a JDBC or libpq conninfo, an error message) with password-like values masked. */
    public static String text(final String text) {
        if (text == null) {
            return null;
        }
        final String masked = SECRET_PARAM.matcher(USER_INFO.matcher(text).replaceAll("***@")).replaceAll("$1***");
        return LIBPQ_PASSWORD.matcher(masked).replaceAll("$1***");
    }

    private static final Pattern LIBPQ_PASSWORD = Pattern.compile("(?i)(password\\s*=\\s*)('[^']*'|\\S+)");
}
