package io.replwatch.collector.targets;

import io.replwatch.runtime.config.ConfigNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * Resolves the credential a target names, on this collector's host: {@code env:VAR} from its environment,
 * {@code file:/path} from its file system (re-read on every resolution, so a rotated secret is picked up when the
 * node's connection is next made), or a name in its credentials file (a YAML map {@code name: password}).
 * Nothing here is logged with its value.
 */
public final class Credentials {

    /** A credential that could not be resolved: the reason, without any secret. */
    public static final class Unresolved extends Exception {
        Unresolved(final String message) {
            super(message, null, false, false);
        }
    }

    private final Path file;
    private final Function<String, String> env;

    public Credentials(final Path file, final Function<String, String> env) {
        this.file = file;
        this.env = env;
    }

    /** The password, or null when the target names none. */
    public String resolve(final String credential) throws Unresolved {
        if (credential == null) {
            return null;
        }
        if (credential.startsWith("env:")) {
            final String v = env.apply(credential.substring(4));
            if (v == null) {
                throw new Unresolved("credential " + credential + ": the variable is not set on this collector");
            }
            return v;
        }
        if (credential.startsWith("file:")) {
            try {
                return Files.readString(Path.of(credential.substring(5)), StandardCharsets.UTF_8).strip();
            } catch (final IOException | RuntimeException e) {
                throw new Unresolved("credential " + credential + ": cannot read it on this collector ("
                        + e.getClass().getSimpleName() + ")");
            }
        }
        if (file == null) {
            throw new Unresolved("credential '" + credential + "': this collector has no targets.credentials_file");
        }
        final Map<String, String> named;
        try {
            named = ConfigNode.load(file, s -> null).stringMap("credentials");
        } catch (final RuntimeException e) {
            throw new Unresolved("credential '" + credential + "': cannot read " + file);
        }
        final String v = named.get(credential);
        if (v == null) {
            throw new Unresolved("credential '" + credential + "' is not in " + file);
        }
        return v;
    }
}
