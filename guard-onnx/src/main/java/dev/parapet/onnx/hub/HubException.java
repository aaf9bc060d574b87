package dev.parapet.onnx.hub;

import dev.parapet.core.ModelLoadException;

/**
 * A model could not be fetched from the Hugging Face hub or found in its cache. The message names
 * the repository, the revision and the file, and says what to change (a token, offline mode, the
 * file name); {@link #reason()} says which kind of failure it was, for callers that react to it.
 */
public final class HubException extends ModelLoadException {
    private static final long serialVersionUID = 1L;

    /** Why the hub loader gave up. */
    public enum Reason {
        /** 401 or 403: the repository is gated or private (or does not exist), or the token is not accepted. */
        AUTHENTICATION,
        /** 404: no such repository, revision or file. */
        NOT_FOUND,
        /** Offline mode is on and the cache does not hold the file. */
        NOT_CACHED,
        /** The hub could not be reached, timed out, or the download broke off or stalled. */
        UNREACHABLE,
        /** The downloaded bytes do not match the hub's checksum or size. */
        INTEGRITY,
        /** A name from the network (commit, ETag) or from the cache would escape the cache directory. */
        UNSAFE_NAME,
        /** The server answered something a Hugging Face hub does not (missing headers, unexpected status). */
        PROTOCOL,
        /** The local cache could not be read or written. */
        CACHE_IO
    }

    private final Reason reason;
    private final int httpStatus;

    HubException(Reason reason, String message) {
        this(reason, 0, message, null);
    }

    HubException(Reason reason, String message, Throwable cause) {
        this(reason, 0, message, cause);
    }

    HubException(Reason reason, int httpStatus, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.httpStatus = httpStatus;
    }

    public Reason reason() {
        return reason;
    }

    /** The HTTP status that caused this, or 0 when no HTTP answer was involved. */
    public int httpStatus() {
        return httpStatus;
    }
}
