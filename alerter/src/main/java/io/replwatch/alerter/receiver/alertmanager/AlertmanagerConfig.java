package io.replwatch.alerter.receiver.alertmanager;

import io.replwatch.alerter.receiver.ReceiverSettings;
import io.replwatch.alerter.receiver.Urls;
import io.replwatch.runtime.config.ConfigNode;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * <pre>
 * - name: corp-alertmanager
 *   type: alertmanager
 *   url: http://alertmanager:9093   # required: the base URL; replwatch posts to /api/v2/alerts
 *   firing_ttl: 4h                  # endsAt of a firing alert; repeats refresh it
 * </pre>
 */
public record AlertmanagerConfig(ReceiverSettings settings, URI url, Duration firingTtl) {

    public static AlertmanagerConfig read(final ConfigNode n, final String name) {
        final Set<String> keys = new HashSet<>(ReceiverSettings.KEYS);
        keys.addAll(Set.of("url", "firing_ttl"));
        n.allowOnly(keys);
        return new AlertmanagerConfig(ReceiverSettings.read(n, name, "alertmanager", 0), Urls.required(n, "url"),
                n.duration("firing_ttl", Duration.ofHours(4), Duration.ofMinutes(1)));
    }
}
