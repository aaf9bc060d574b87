package dev.parapet.cli;

/** The exit status of every {@code parapet} subcommand, so shell scripts can gate on it. */
public final class ExitCodes {
    /** Success; for {@code scan}: every exchange allowed. */
    public static final int OK = 0;
    /** {@code scan}: at least one exchange blocked. */
    public static final int BLOCKED = 1;
    /** A usage or input error: unknown option, missing file or field, bad configuration or model. */
    public static final int USAGE = 2;
    /** An internal error, or work that failed outright (e.g. a judge that never answered). */
    public static final int INTERNAL = 3;

    private ExitCodes() {
    }
}
