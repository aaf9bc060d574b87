package dev.parapet.core;

/** Replaces every {@code word} (case-sensitive) with {@code [REDACTED]}; leaves the text alone otherwise. */
final class RedactingSanitizer extends RecordingScanner {
    static final String MASK = "[REDACTED]";
    private final String word;

    RedactingSanitizer(String name, String word) {
        super(name);
        this.word = word;
    }

    @Override
    public boolean isSanitizer() {
        return true;
    }

    @Override
    protected ScanResult judge(ScanInput input) {
        String text = input.text();
        String redacted = text.replace(word, MASK);
        return ScanResult.builder(name(), input.stage())
                .sanitizedText(redacted.equals(text) ? null : redacted)
                .build();
    }
}
