package dev.parapet.core;

/** A scanner ran past its time budget; the guard reports it as an ERROR result. */
public class ScanTimeoutException extends ParapetException {
    private static final long serialVersionUID = 1L;

    public ScanTimeoutException(String message) {
        super(message);
    }

    public ScanTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
