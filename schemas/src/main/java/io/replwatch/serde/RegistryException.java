package io.replwatch.serde;

/**
 * A schema-registry call failed. {@link #status()} is the HTTP status (0 when no answer arrived) and
 * {@link #errorCode()} Confluent's {@code error_code} (for example 40401 subject not found, 40403 schema not
 * found, 409 incompatible, 42201 invalid schema), or 0 when the registry gave none.
 *
 * <p>Messages never contain credentials: URLs are passed through {@link Redact#url(String)} before use.
 */
public class RegistryException extends RuntimeException {

    private final int status;
    private final int errorCode;

    public RegistryException(final String message, final int status, final int errorCode, final Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    public int status() {
        return status;
    }

    public int errorCode() {
        return errorCode;
    }

    /** Worth retrying: no answer, a 5xx, or 429. */
    public boolean retriable() {
        return status == 0 || status >= 500 || status == 429;
    }

    /**
     * Whether {@code error} (or any of its causes) is a registry that could not be reached or answered 5xx/429:
     * the record is fine and will decode (or encode) once the registry is back, so it must be retried, never
     * dead-lettered or dropped. Undecodable bytes and unknown schema ids are not retriable.
     */
    public static boolean isRetriable(final Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RegistryException r) {
                return r.retriable();
            }
        }
        return false;
    }

    /** The subject or schema id does not exist. */
    public boolean notFound() {
        return status == 404;
    }
}
