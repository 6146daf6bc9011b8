package io.replwatch.serde;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * Serde and registry-client settings, named as Confluent's so that existing client properties carry over.
 *
 * <table>
 * <caption>Keys</caption>
 * <tr><td>schema.registry.url</td><td>required; comma-separated base URLs, or {@code mock://scope}</td></tr>
 * <tr><td>auto.register.schemas</td><td>default true; false looks the writer schema up instead</td></tr>
 * <tr><td>use.latest.version</td><td>default false; serialize with the subject's latest id</td></tr>
 * <tr><td>basic.auth.credentials.source</td><td>URL (default: user-info in the URL) or USER_INFO</td></tr>
 * <tr><td>basic.auth.user.info</td><td>{@code user:password} with USER_INFO</td></tr>
 * <tr><td>schema.registry.ssl.truststore.location / .password / .type</td><td>TLS trust (JKS or PKCS12)</td></tr>
 * <tr><td>schema.registry.ssl.keystore.location / .password / .type</td><td>TLS client certificate</td></tr>
 * <tr><td>schema.registry.request.timeout.ms</td><td>default 10000</td></tr>
 * <tr><td>schema.registry.max.retries</td><td>default 3 (retries of no answer, 5xx and 429)</td></tr>
 * <tr><td>schema.registry.retry.backoff.ms / .max.ms</td><td>default 100 / 2000, exponential with jitter</td></tr>
 * <tr><td>specific.avro.reader</td><td>default true when the deserializer knows its class</td></tr>
 * </table>
 */
public final class SerdeConfig {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String MAX_RETRIES = "schema.registry.max.retries";
    public static final String RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "schema.registry.retry.backoff.max.ms";
    public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";

    public static final String MOCK_SCHEME = "mock://";

    private final List<String> urls;
    private final boolean autoRegister;
    private final boolean useLatestVersion;
    private final String credentialsSource;
    private final String userInfo;
    private final String truststoreLocation;
    private final String truststorePassword;
    private final String truststoreType;
    private final String keystoreLocation;
    private final String keystorePassword;
    private final String keystoreType;
    private final Duration requestTimeout;
    private final int maxRetries;
    private final Duration backoff;
    private final Duration backoffMax;
    private final Boolean specificReader;

    /**
     * Reads and validates the settings, collecting every problem before failing.
     *
     * @throws ConfigException listing every invalid or missing key
     */
    public SerdeConfig(final Map<String, ?> props) {
        final List<String> problems = new ArrayList<>();
        final String url = str(props, SCHEMA_REGISTRY_URL, null);
        if (url == null || url.isBlank()) {
            problems.add(SCHEMA_REGISTRY_URL + " is required");
            urls = List.of();
        } else {
            urls = Arrays.stream(url.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            for (final String u : urls) {
                if (!u.startsWith("http://") && !u.startsWith("https://") && !u.startsWith(MOCK_SCHEME)) {
                    problems.add(SCHEMA_REGISTRY_URL + " must start with http://, https:// or mock:// (got '"
                            + Redact.url(u) + "')");
                }
            }
        }
        autoRegister = bool(props, AUTO_REGISTER_SCHEMAS, true, problems);
        useLatestVersion = bool(props, USE_LATEST_VERSION, false, problems);
        credentialsSource = str(props, BASIC_AUTH_CREDENTIALS_SOURCE, "URL").toUpperCase();
        userInfo = str(props, BASIC_AUTH_USER_INFO, null);
        if (!credentialsSource.equals("URL") && !credentialsSource.equals("USER_INFO")) {
            problems.add(BASIC_AUTH_CREDENTIALS_SOURCE + " must be URL or USER_INFO (got '" + credentialsSource + "')");
        }
        if (credentialsSource.equals("USER_INFO") && (userInfo == null || !userInfo.contains(":"))) {
            problems.add(BASIC_AUTH_USER_INFO + " must be user:password when " + BASIC_AUTH_CREDENTIALS_SOURCE
                    + " is USER_INFO");
        }
        truststoreLocation = str(props, TRUSTSTORE_LOCATION, null);
        truststorePassword = str(props, TRUSTSTORE_PASSWORD, null);
        truststoreType = str(props, TRUSTSTORE_TYPE, "JKS");
        keystoreLocation = str(props, KEYSTORE_LOCATION, null);
        keystorePassword = str(props, KEYSTORE_PASSWORD, null);
        keystoreType = str(props, KEYSTORE_TYPE, "JKS");
        requestTimeout = Duration.ofMillis(longValue(props, REQUEST_TIMEOUT_MS, 10_000, 1, problems));
        maxRetries = (int) longValue(props, MAX_RETRIES, 3, 0, problems);
        backoff = Duration.ofMillis(longValue(props, RETRY_BACKOFF_MS, 100, 1, problems));
        backoffMax = Duration.ofMillis(longValue(props, RETRY_BACKOFF_MAX_MS, 2_000, 1, problems));
        specificReader = props.get(SPECIFIC_AVRO_READER) == null ? null
                : bool(props, SPECIFIC_AVRO_READER, true, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException("Invalid serde configuration: " + String.join("; ", problems));
        }
    }

    private static String str(final Map<String, ?> props, final String key, final String dflt) {
        final Object v = props.get(key);
        return v == null ? dflt : v.toString();
    }

    private static boolean bool(final Map<String, ?> props, final String key, final boolean dflt,
                                final List<String> problems) {
        final Object v = props.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        final String s = v.toString().trim().toLowerCase();
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        problems.add(key + " must be true or false (got '" + v + "')");
        return dflt;
    }

    private static long longValue(final Map<String, ?> props, final String key, final long dflt, final long min,
                                  final List<String> problems) {
        final Object v = props.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            final long n = v instanceof Number num ? num.longValue() : Long.parseLong(v.toString().trim());
            if (n < min) {
                problems.add(key + " must be at least " + min + " (got " + n + ")");
            }
            return n;
        } catch (final NumberFormatException e) {
            problems.add(key + " must be a whole number (got '" + v + "')");
            return dflt;
        }
    }

    public List<String> urls() {
        return urls;
    }

    public boolean isMock() {
        return !urls.isEmpty() && urls.get(0).startsWith(MOCK_SCHEME);
    }

    /** The scope of a {@code mock://scope} URL. */
    public String mockScope() {
        return urls.get(0).substring(MOCK_SCHEME.length());
    }

    public boolean autoRegister() {
        return autoRegister;
    }

    public boolean useLatestVersion() {
        return useLatestVersion;
    }

    public String credentialsSource() {
        return credentialsSource;
    }

    public String userInfo() {
        return userInfo;
    }

    public String truststoreLocation() {
        return truststoreLocation;
    }

    public String truststorePassword() {
        return truststorePassword;
    }

    public String truststoreType() {
        return truststoreType;
    }

    public String keystoreLocation() {
        return keystoreLocation;
    }

    public String keystorePassword() {
        return keystorePassword;
    }

    public String keystoreType() {
        return keystoreType;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    public int maxRetries() {
        return maxRetries;
    }

    public Duration backoff() {
        return backoff;
    }

    public Duration backoffMax() {
        return backoffMax;
    }

    /** Null when not set, so that the deserializer can choose by whether it knows its target class. */
    public Boolean specificReader() {
        return specificReader;
    }
}
