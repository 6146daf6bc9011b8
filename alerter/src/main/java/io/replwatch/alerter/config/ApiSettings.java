package io.replwatch.alerter.config;

import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.runtime.config.Durations;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * The alerter API's write side ({@code api:} in the configuration). Every write (creating or expiring a silence)
 * needs {@code Authorization: Bearer <token>}; with no token configured, writes are off and reads stay open on the
 * listener's address (loopback by default).
 *
 * <pre>
 * api:
 *   token_file: /run/secrets/alerter-api-token   # or token: ${REPLWATCH_ALERTER_TOKEN}; never both
 *   max_silences: 1000                           # pending and active silences at once
 *   max_silence_duration: 30d                    # from its start to its end
 * </pre>
 *
 * @param token the bearer token, or null (writes off); never printed
 */
public record ApiSettings(String token, int maxSilences, Duration maxSilenceDuration) {

    public static final int DEFAULT_MAX_SILENCES = 1000;
    public static final Duration DEFAULT_MAX_SILENCE_DURATION = Duration.ofDays(30);

    public static ApiSettings defaults() {
        return new ApiSettings(null, DEFAULT_MAX_SILENCES, DEFAULT_MAX_SILENCE_DURATION);
    }

    public boolean writesEnabled() {
        return token != null;
    }

    static ApiSettings read(final ConfigNode api) {
        api.allowOnly(Set.of("token", "token_file", "max_silences", "max_silence_duration"));
        String token = null;
        if (api.has("token") && api.has("token_file")) {
            api.problem("token", "give token or token_file, not both");
        } else if (api.has("token_file")) {
            final String file = api.string("token_file", null);
            try {
                token = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (final IOException | RuntimeException e) {
                api.problem("token_file", "cannot read " + file + ": " + e.getClass().getSimpleName());
            }
        } else {
            token = api.string("token", null);
        }
        if (token != null && token.isEmpty()) {
            token = null; // token: ${REPLWATCH_ALERTER_TOKEN:-} with the variable unset: writes off
        } else if (token != null && token.length() < 16) {
            api.problem(api.has("token_file") ? "token_file" : "token", "the token must be at least 16 characters");
            token = null;
        }
        final int max = api.integer("max_silences", DEFAULT_MAX_SILENCES, 1, 100_000);
        final Duration longest = api.duration("max_silence_duration", DEFAULT_MAX_SILENCE_DURATION, Duration.ofMinutes(1));
        if (longest.compareTo(Duration.ofDays(3650)) > 0) {
            api.problem("max_silence_duration", "must be at most 3650d (got " + Durations.format(longest) + ")");
        }
        return new ApiSettings(token, max, longest);
    }

    @Override
    public String toString() {
        return "ApiSettings[token=" + (token == null ? "none (writes off)" : "****") + ", maxSilences=" + maxSilences
                + ", maxSilenceDuration=" + Durations.format(maxSilenceDuration) + "]";
    }
}
