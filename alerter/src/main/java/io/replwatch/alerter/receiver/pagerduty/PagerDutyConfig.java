package io.replwatch.alerter.receiver.pagerduty;

import io.replwatch.alerter.receiver.ReceiverSettings;
import io.replwatch.alerter.receiver.Urls;
import io.replwatch.runtime.config.ConfigNode;
import java.net.URI;
import java.util.HashSet;
import java.util.Set;

/**
 * <pre>
 * - name: dba-pager
 *   type: pagerduty
 *   routing_key: ${PAGERDUTY_ROUTING_KEY}          # required (Events API v2 integration key)
 *   url: https://events.pagerduty.com/v2/enqueue   # default
 *   rate_limit: 2                                  # default: 120 events a minute per integration
 * </pre>
 */
public record PagerDutyConfig(ReceiverSettings settings, URI url, String routingKey) {

    public static final String DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue";

    public static PagerDutyConfig read(final ConfigNode n, final String name) {
        final Set<String> keys = new HashSet<>(ReceiverSettings.KEYS);
        keys.addAll(Set.of("url", "routing_key"));
        n.allowOnly(keys);
        return new PagerDutyConfig(ReceiverSettings.read(n, name, "pagerduty", 2),
                Urls.optional(n, "url", DEFAULT_URL), n.requiredString("routing_key"));
    }
}
