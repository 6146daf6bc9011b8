package io.replwatch.sandbox;

/** The sandbox could not do what was asked; the message names the cause and, where there is one, the remedy. */
public class SandboxException extends RuntimeException {

    public SandboxException(final String message) {
        super(message);
    }

    public SandboxException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
