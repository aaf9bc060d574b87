package dev.parapet.core;

/**
 * The one root of every exception Parapet throws on purpose. Unchecked, like LangChain4j's
 * {@code LangChain4jException}: a guard sits in the request path and callers should not have to
 * wrap every call. Messages name the file, the setting or the limit to change.
 */
public class ParapetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ParapetException(String message) {
        super(message);
    }

    public ParapetException(String message, Throwable cause) {
        super(message, cause);
    }
}
