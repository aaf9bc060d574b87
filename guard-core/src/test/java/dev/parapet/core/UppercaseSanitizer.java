package dev.parapet.core;

import java.util.Locale;

/** Rewrites the text in upper case; optionally flags as well, to test failFast on a sanitizer. */
final class UppercaseSanitizer extends RecordingScanner {
    private final boolean flags;

    UppercaseSanitizer(String name) {
        this(name, false);
    }

    UppercaseSanitizer(String name, boolean flags) {
        super(name);
        this.flags = flags;
    }

    @Override
    public boolean isSanitizer() {
        return true;
    }

    @Override
    protected ScanResult judge(ScanInput input) {
        return ScanResult.builder(name(), input.stage())
                .decision(flags ? Decision.FLAGGED : Decision.PASSED)
                .sanitizedText(input.text().toUpperCase(Locale.ROOT))
                .build();
    }
}
