package io.replwatch.runtime.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a YAML configuration while collecting every problem instead of stopping at the first: each accessor
 * returns a usable value (the default on error) and records what was wrong with its path, for example
 * {@code clusters[0].nodes[1].port: must be 1 to 65535 (got 70000)}. Call {@link #throwIfProblems()} at the end.
 *
 * <p>String values may hold {@code ${VAR}} or {@code ${VAR:-default}}, replaced from the environment. Secrets
 * (keys named password, token, secret ...) are never quoted in problems.
 */
public final class ConfigNode {

    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
    /** Duplicate keys are errors: a second {@code clusters:} must not silently replace the first. */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** No setting of any service is meaningfully longer than this; longer is a typo. */
    public static final Duration MAX_DURATION = Duration.ofDays(3650);

    private final JsonNode node;
    private final String path;
    private final Problems problems;
    private final Function<String, String> env;

    /** The shared list of problems of one configuration file. */
    public static final class Problems {
        private final List<String> list = new ArrayList<>();
        private final String source;

        Problems(final String source) {
            this.source = source;
        }

        public void add(final String path, final String message) {
            list.add((path.isEmpty() ? "" : path + ": ") + message);
        }

        public List<String> list() {
            return list;
        }
    }

    private ConfigNode(final JsonNode node, final String path, final Problems problems,
                       final Function<String, String> env) {
        this.node = node == null ? MissingNode.getInstance() : node;
        this.path = path;
        this.problems = problems;
        this.env = env;
    }

    /** Parses a file; an unreadable or malformed file is itself a problem, thrown at once. */
    public static ConfigNode load(final Path file, final Function<String, String> env) {
        final String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new InvalidConfigException(file.toString(), List.of("cannot read the file: " + e.getMessage()));
        }
        return parse(text, file.toString(), env);
    }

    public static ConfigNode parse(final String yaml, final String source, final Function<String, String> env) {
        final JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            final var loc = e.getLocation();
            throw new InvalidConfigException(source, List.of("not valid YAML" + (loc == null ? "" : " at line "
                    + loc.getLineNr() + ", column " + loc.getColumnNr()) + ": " + e.getOriginalMessage().split("\n")[0]));
        } catch (final IOException e) {
            throw new InvalidConfigException(source, List.of("not valid YAML: " + e.getMessage().split("\n")[0]));
        }
        if (root != null && !root.isObject() && !root.isMissingNode() && !root.isNull()) {
            throw new InvalidConfigException(source, List.of("the top level must be a mapping of keys to values"));
        }
        return new ConfigNode(root == null || root.isNull() ? YAML.createObjectNode() : root, "",
                new Problems(source), env);
    }

    /**
     * Replaces the mapping under {@code key} (whatever the file says there, if anything) by {@code values}: how a
     * command points a user's file elsewhere before it is read, for example {@code replwatch local --config} at the
     * local broker (whose plain listener the file's SASL or TLS settings would not fit).
     */
    public void replaceSection(final String key, final Map<String, String> values) {
        if (node instanceof ObjectNode obj) {
            final ObjectNode section = obj.putObject(key);
            values.forEach(section::put);
        }
    }

    private String sub(final String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public String path() {
        return path;
    }

    public Problems problems() {
        return problems;
    }

    public boolean has(final String key) {
        return node.has(key) && !node.get(key).isNull();
    }

    /** Records a problem at this node's path (or at {@code key} below it). */
    public void problem(final String key, final String message) {
        problems.add(key == null ? path : sub(key), message);
    }

    /** Unknown keys are problems: a typo must not silently fall back to a default. */
    public void allowOnly(final Set<String> keys) {
        if (!node.isObject()) {
            return;
        }
        for (final Iterator<String> it = node.fieldNames(); it.hasNext();) {
            final String k = it.next();
            if (!keys.contains(k)) {
                problems.add(sub(k), "unknown key (known: " + String.join(", ", new java.util.TreeSet<>(keys)) + ")");
            }
        }
    }

    /**
     * The {@code kafka:} (client properties, bootstrap.servers required) and {@code schema_registry:} (serde
     * properties; {@code url} becomes schema.registry.url, required) sections every service has.
     */
    public record KafkaSections(Map<String, String> kafka, Map<String, String> registry) {
    }

    public KafkaSections kafkaSections() {
        final Map<String, String> kafka = stringMap("kafka");
        if (!kafka.containsKey("bootstrap.servers")) {
            problem("kafka.bootstrap.servers", "is required");
        }
        final Map<String, String> registry = new LinkedHashMap<>(stringMap("schema_registry"));
        final String url = registry.remove("url");
        if (url == null || url.isBlank()) {
            problem("schema_registry.url", "is required");
        } else {
            registry.put("schema.registry.url", url);
        }
        // Secrets (sasl.jaas.config, basic.auth.user.info ...) stay readable but never print.
        return new KafkaSections(SecretMasking.of(kafka), SecretMasking.of(registry));
    }

    /** A list of scalars (a single scalar counts as a list of one). */
    public List<String> stringList(final String key) {
        final JsonNode v = node.get(key);
        final List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                if (v.get(i).isContainerNode()) {
                    problems.add(sub(key) + "[" + i + "]", "must be a single value");
                } else {
                    out.add(substitute(key, v.get(i).asText()));
                }
            }
        } else if (v.isContainerNode()) {
            problems.add(sub(key), "must be a list");
        } else {
            out.add(substitute(key, v.asText()));
        }
        return out;
    }

    /** The keys of this mapping, in file order. */
    public List<String> stringKeys() {
        final List<String> keys = new ArrayList<>();
        if (node.isObject()) {
            node.fieldNames().forEachRemaining(keys::add);
        }
        return keys;
    }

    public ConfigNode child(final String key) {
        final JsonNode c = node.get(key);
        if (c != null && !c.isNull() && !c.isObject()) {
            problems.add(sub(key), "must be a mapping");
            return new ConfigNode(YAML.createObjectNode(), sub(key), problems, env);
        }
        return new ConfigNode(c == null || c.isNull() ? YAML.createObjectNode() : c, sub(key), problems, env);
    }

    public List<ConfigNode> list(final String key) {
        final JsonNode c = node.get(key);
        final List<ConfigNode> out = new ArrayList<>();
        if (c == null || c.isNull()) {
            return out;
        }
        if (!c.isArray()) {
            problems.add(sub(key), "must be a list");
            return out;
        }
        for (int i = 0; i < c.size(); i++) {
            if (!c.get(i).isObject()) {
                problems.add(sub(key) + "[" + i + "]", "must be a mapping");
                continue;
            }
            out.add(new ConfigNode(c.get(i), sub(key) + "[" + i + "]", problems, env));
        }
        return out;
    }

    /** A string with ${ENV} substituted; null when absent. */
    public String string(final String key, final String dflt) {
        final JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (v.isContainerNode()) {
            problems.add(sub(key), "must be a single value");
            return dflt;
        }
        return substitute(key, v.asText());
    }

    /**
     * One of a few words (case-insensitive), mapped to its value; anything else is a problem naming every word, in
     * the map's order, and gives the default word's value.
     */
    public <T> T choice(final String key, final String dflt, final Map<String, T> words) {
        final String v = string(key, dflt).toLowerCase(java.util.Locale.ROOT);
        final T out = words.get(v);
        if (out != null) {
            return out;
        }
        final List<String> names = List.copyOf(words.keySet());
        problem(key, "must be " + String.join(", ", names.subList(0, names.size() - 1)) + " or "
                + names.get(names.size() - 1) + " (got '" + v + "')");
        return words.get(dflt);
    }

    public String requiredString(final String key) {
        final String v = string(key, null);
        if (v == null || v.isBlank()) {
            if (!has(key)) {
                problems.add(sub(key), "is required");
            } else if (v != null) {
                problems.add(sub(key), "must not be empty");
            }
            return null;
        }
        return v;
    }

    private String substitute(final String key, final String text) {
        final Matcher m = ENV.matcher(text);
        final StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null) {
                value = m.group(2);
            }
            if (value == null) {
                problems.add(sub(key), "environment variable " + m.group(1) + " is not set");
                value = "";
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    public int integer(final String key, final int dflt, final int min, final int max) {
        final String v = string(key, null);
        if (v == null) {
            return dflt;
        }
        try {
            final int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                problems.add(sub(key), "must be " + min + " to " + max + " (got " + n + ")");
                return dflt;
            }
            return n;
        } catch (final NumberFormatException e) {
            problems.add(sub(key), "must be a whole number (got '" + quote(key, v) + "')");
            return dflt;
        }
    }

    public boolean bool(final String key, final boolean dflt) {
        final String v = string(key, null);
        if (v == null) {
            return dflt;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        problems.add(sub(key), "must be true or false (got '" + quote(key, v) + "')");
        return dflt;
    }

    public Duration duration(final String key, final Duration dflt, final Duration min) {
        final String v = string(key, null);
        if (v == null) {
            return dflt;
        }
        try {
            final Duration d = Durations.parse(v);
            if (min != null && d.compareTo(min) < 0) {
                problems.add(sub(key), "must be at least " + Durations.format(min) + " (got " + v + ")");
                return dflt;
            }
            if (d.compareTo(MAX_DURATION) > 0) {
                problems.add(sub(key), "must be at most 3650d (got " + v + ")");
                return dflt;
            }
            return d;
        } catch (final IllegalArgumentException e) {
            problems.add(sub(key), e.getMessage());
            return dflt;
        }
    }

    /** A mapping of scalar values as strings (labels, pass-through client properties). */
    public Map<String, String> stringMap(final String key) {
        final Map<String, String> out = new LinkedHashMap<>();
        final JsonNode c = node.get(key);
        if (c == null || c.isNull()) {
            return out;
        }
        if (!c.isObject()) {
            problems.add(sub(key), "must be a mapping");
            return out;
        }
        final ConfigNode n = new ConfigNode(c, sub(key), problems, env);
        c.fieldNames().forEachRemaining(k -> {
            if (c.get(k).isContainerNode()) {
                problems.add(n.sub(k), "must be a single value");
            } else {
                out.put(k, n.string(k, null));
            }
        });
        return out;
    }

    /** Values of keys that look secret are not repeated in problems. */
    private static String quote(final String key, final String value) {
        return isSecretKey(key) ? "***" : value;
    }

    public static boolean isSecretKey(final String key) {
        final String k = key.toLowerCase();
        return k.contains("password") || k.contains("secret") || k.contains("token") || k.contains("key")
                && !k.equals("key") || k.contains("credentials") || k.contains("user.info");
    }

    public void throwIfProblems() {
        if (!problems.list.isEmpty()) {
            throw new InvalidConfigException(problems.source, problems.list);
        }
    }

    /** An empty node for building configs in code. */
    public static ConfigNode empty() {
        final ObjectNode o = YAML.createObjectNode();
        return new ConfigNode(o, "", new Problems(null), System::getenv);
    }

    @Override
    public String toString() {
        return path.isEmpty() ? "(root)" : path;
    }

    static JsonNode text(final String s) {
        return TextNode.valueOf(s);
    }
}
