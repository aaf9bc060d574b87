package dev.parapet.core;

/** Throws the given RuntimeException or Error on every call, like a scanner whose model broke. */
final class ThrowingScanner extends RecordingScanner {
    private final Throwable toThrow;
    private final boolean sanitizer;

    ThrowingScanner(String name, Throwable toThrow) {
        this(name, toThrow, false);
    }

    ThrowingScanner(String name, Throwable toThrow, boolean sanitizer) {
        super(name);
        if (!(toThrow instanceof RuntimeException) && !(toThrow instanceof Error)) {
            throw new IllegalArgumentException("unchecked throwables only");
        }
        this.toThrow = toThrow;
        this.sanitizer = sanitizer;
    }

    @Override
    public boolean isSanitizer() {
        return sanitizer;
    }

    @Override
    protected ScanResult judge(ScanInput input) {
        if (toThrow instanceof RuntimeException e) {
            throw e;
        }
        throw (Error) toThrow;
    }
}
