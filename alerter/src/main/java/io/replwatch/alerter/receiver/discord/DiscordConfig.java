package io.replwatch.alerter.receiver.discord;

import io.replwatch.alerter.receiver.ReceiverSettings;
import io.replwatch.alerter.receiver.Urls;
import io.replwatch.runtime.config.ConfigNode;
import java.net.URI;
import java.util.HashSet;
import java.util.Set;

/**
 * <pre>
 * - name: dba-discord
 *   type: discord
 *   url: ${DISCORD_WEBHOOK_URL}   # required; the URL holds the webhook token
 *   username: replwatch           # optional
 *   rate_limit: 0.5               # default: Discord allows about 30 messages a minute per webhook
 * </pre>
 */
public record DiscordConfig(ReceiverSettings settings, URI url, String username) {

    public static DiscordConfig read(final ConfigNode n, final String name) {
        final Set<String> keys = new HashSet<>(ReceiverSettings.KEYS);
        keys.addAll(Set.of("url", "username"));
        n.allowOnly(keys);
        return new DiscordConfig(ReceiverSettings.read(n, name, "discord", 0.5), Urls.required(n, "url"),
                n.string("username", null));
    }
}
