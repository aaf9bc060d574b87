package dev.parapet.cli;

import dev.parapet.core.ParapetException;

/**
 * A problem the user can fix: a missing file, a bad field, an option that does not fit. The
 * command prints its message as one line and exits with {@link #exitCode()} (usually
 * {@link ExitCodes#USAGE}).
 */
public class CliException extends ParapetException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public CliException(String message) {
        this(message, ExitCodes.USAGE, null);
    }

    public CliException(String message, Throwable cause) {
        this(message, ExitCodes.USAGE, cause);
    }

    public CliException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
