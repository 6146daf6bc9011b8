package io.replwatch.alerter.receiver.teams;

import io.replwatch.alerter.receiver.ReceiverSettings;
import io.replwatch.alerter.receiver.Urls;
import io.replwatch.runtime.config.ConfigNode;
import java.net.URI;
import java.util.HashSet;
import java.util.Set;

/**
 * <pre>
 * - name: dba-teams
 *   type: teams
 *   url: ${TEAMS_WORKFLOW_URL}    # required: the Workflows webhook URL (it carries a signature: a secret)
 * </pre>
 */
public record TeamsConfig(ReceiverSettings settings, URI url) {

    public static TeamsConfig read(final ConfigNode n, final String name) {
        final Set<String> keys = new HashSet<>(ReceiverSettings.KEYS);
        keys.add("url");
        n.allowOnly(keys);
        return new TeamsConfig(ReceiverSettings.read(n, name, "teams", 1), Urls.required(n, "url"));
    }
}
