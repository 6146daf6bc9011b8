package io.replwatch.collector.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A cluster managed by Patroni: where its REST API answers, how to authenticate, and how to connect to the members
 * it lists. The nodes to poll are found in {@code /cluster}, not listed: a new replica is polled at the next read,
 * a member gone from {@code /cluster} for {@code memberGrace} is no longer polled (and the processor forgets it).
 *
 * @param endpoints REST API base URLs ({@code http(s)://host:8008}), tried in order; the members' own api_url
 *        found in {@code /cluster} are tried after them
 * @param username basic-auth user (Patroni's restapi.authentication), or null
 * @param password its password, resolved; never printed
 * @param caFile a PEM CA bundle to verify an https endpoint with, or null for the JVM's trust store
 * @param timeout per request
 * @param memberGrace how long a member missing from {@code /cluster} is still polled (a dead leader's key expires
 *        with its lease: it must still be seen DOWN)
 * @param template connection settings for members (database, user, password, sslmode ...; host and port come from
 *        {@code /cluster})
 * @param listed nodes listed under the cluster by name: their settings override the template's for that member
 */
public record PatroniConfig(
        String cluster,
        List<String> endpoints,
        String username,
        String password,
        String caFile,
        Duration timeout,
        Duration memberGrace,
        NodeConfig template,
        Map<String, NodeConfig> listed) {

    /** The node to poll for a member found at {@code host:port}. */
    public NodeConfig member(final String name, final String host, final int port) {
        final NodeConfig l = listed.get(name);
        if (l != null) {
            return l;
        }
        final NodeConfig t = template;
        return new NodeConfig(cluster, name, host, port, t.database(), t.user(), t.password(), t.sslmode(),
                t.sslrootcert(), t.sslcert(), t.sslkey(), t.labels());
    }

    @Override
    public String toString() {
        return "patroni " + cluster + " " + endpoints + (username == null ? "" : " as " + username);
    }
}
