package io.replwatch.alerter.receiver.slack;

import io.replwatch.alerter.receiver.ReceiverSettings;
import io.replwatch.alerter.receiver.Urls;
import io.replwatch.runtime.config.ConfigNode;
import java.net.URI;
import java.util.HashSet;
import java.util.Set;

/**
 * <pre>
 * - name: dba-slack
 *   type: slack
 *   url: ${SLACK_WEBHOOK_URL}     # required; the URL is the secret
 *   channel: "#dba-alerts"        # optional override (legacy webhooks only)
 *   username: replwatch           # optional
 *   rate_limit: 1                 # default: Slack accepts about one message per second per webhook
 * </pre>
 */
public record SlackConfig(ReceiverSettings settings, URI url, String channel, String username) {

    public static SlackConfig read(final ConfigNode n, final String name) {
        final Set<String> keys = new HashSet<>(ReceiverSettings.KEYS);
        keys.addAll(Set.of("url", "channel", "username"));
        n.allowOnly(keys);
        return new SlackConfig(ReceiverSettings.read(n, name, "slack", 1), Urls.required(n, "url"),
                n.string("channel", null), n.string("username", null));
    }
}
