package io.replwatch.alerter.receiver;

import io.replwatch.alerter.model.Notification;

/**
 * Sends one notification once. Retrying, rate limiting, timeouts between attempts and dead letters live in
 * {@link io.replwatch.alerter.delivery.ReceiverQueue}, in one place for every receiver.
 */
public interface Receiver {

    /** The name routes refer to; the only receiver identity that appears in logs and metrics. */
    String name();

    /** webhook, slack, teams, discord, pagerduty, alertmanager, console. */
    String type();

    /** Whether resolved notifications are sent at all (send_resolved). */
    boolean sendResolved();

    Attempt send(Notification notification) throws InterruptedException;
}
