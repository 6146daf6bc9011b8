package io.replwatch.collector.config;

import io.replwatch.runtime.config.ConfigNode;
import io.replwatch.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * A collector in a group: it polls the clusters of the targets topic whose partitions the collectors' consumer group
 * assigns it (cooperative rebalancing: a collector joining or leaving moves only what must move).
 *
 * @param topic           the compacted targets topic ({@code replwatch targets apply} writes it)
 * @param group           the collectors' consumer group id
 * @param sessionTimeout  a collector not heard from for this long is out of the group: its clusters go to the others
 *                        (Kafka's session.timeout.ms; the broker allows 6 s to 5 min by default). Takeover time is
 *                        about this plus one rebalance and one poll interval.
 * @param credentialsFile a YAML map {@code credential name: password} this collector resolves named credentials in;
 *                        null: targets may name only {@code env:VAR} and {@code file:/path} credentials
 */
public record TargetsSettings(String topic, String group, Duration sessionTimeout, Path credentialsFile) {

    public static final String DEFAULT_GROUP = "replwatch-collectors";

    static TargetsSettings from(final ConfigNode t) {
        t.allowOnly(Set.of("topic", "group", "session_timeout", "credentials_file"));
        final String topic = t.string("topic", Topics.TARGETS);
        final String group = t.string("group", DEFAULT_GROUP);
        final Duration session = t.duration("session_timeout", Duration.ofSeconds(10), Duration.ofSeconds(6));
        if (session.compareTo(Duration.ofMinutes(5)) > 0) {
            t.problem("session_timeout", "must be at most 5m (the broker's group.max.session.timeout.ms by default)");
        }
        final String file = t.string("credentials_file", null);
        if (file != null && !Files.isReadable(Path.of(file))) {
            t.problem("credentials_file", "cannot read " + file);
        }
        return new TargetsSettings(topic, group, session, file == null ? null : Path.of(file));
    }
}
