package io.replwatch.alerter.dispatch;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps one consumed record's offset uncommitted until every piece of work it caused is settled: the alerts it
 * changed were delivered, dead-lettered, muted or found unchanged, and the alerter's state recording that was
 * written. Starts held once by the consumer, which releases it after handing the record over.
 */
public final class Token {

    private final AtomicInteger holds = new AtomicInteger(1);
    private final Runnable onSettled;

    public Token(final Runnable onSettled) {
        this.onSettled = onSettled;
    }

    /** A token for work that nobody waits on (tests, restored state). */
    public static Token none() {
        return new Token(() -> { });
    }

    public Token retain() {
        holds.incrementAndGet();
        return this;
    }

    public void release() {
        if (holds.decrementAndGet() == 0) {
            onSettled.run();
        }
    }
}
