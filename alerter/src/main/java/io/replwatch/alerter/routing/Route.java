package io.replwatch.alerter.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node of the routing tree, with Alertmanager's semantics: an alert enters the root; at each node it descends
 * into the first child whose matchers match (and on into later siblings too when that child has
 * {@code continue: true}); when no child matches, the node itself takes it. Children inherit receiver,
 * group_by and timings they do not set.
 *
 * @param id        position in the tree ("root", "root.0", "root.0.1"): part of every group key
 * @param groupBy   labels whose values split alerts into groups; {@code ["..."]} groups by every label
 */
public record Route(
        String id,
        String receiver,
        List<Matcher> matchers,
        boolean continueMatching,
        List<String> groupBy,
        Duration groupWait,
        Duration groupInterval,
        Duration repeatInterval,
        List<Route> routes) {

    public Route {
        matchers = List.copyOf(matchers);
        groupBy = List.copyOf(groupBy);
        routes = List.copyOf(routes);
    }

    /** The routes that take an alert with these labels (empty when the root's own matchers do not match). */
    public List<Route> match(final Map<String, String> labels) {
        if (!Matcher.all(matchers, labels)) {
            return List.of();
        }
        final List<Route> all = new ArrayList<>();
        for (final Route child : routes) {
            final List<Route> m = child.match(labels);
            all.addAll(m);
            if (!m.isEmpty() && !child.continueMatching) {
                break;
            }
        }
        return all.isEmpty() ? List.of(this) : all;
    }

    /** Every route in the tree, depth first. */
    public List<Route> flatten() {
        final List<Route> out = new ArrayList<>();
        out.add(this);
        routes.forEach(r -> out.addAll(r.flatten()));
        return out;
    }

    /** The group labels of an alert on this route: the group_by labels it has, sorted. */
    public Map<String, String> groupLabels(final Map<String, String> labels) {
        final Map<String, String> g = new java.util.TreeMap<>();
        if (groupBy.contains("...")) {
            g.putAll(labels);
            return g;
        }
        for (final String k : groupBy) {
            final String v = labels.get(k);
            if (v != null) {
                g.put(k, v);
            }
        }
        return g;
    }
}
