package dev.parapet.core;

import java.util.ArrayList;
import java.util.List;

/** Flags a text that contains {@code needle}, with one evidence span per occurrence. */
final class SubstringDetector extends RecordingScanner {
    static final double FLAG_SCORE = 0.9;
    static final double PASS_SCORE = 0.1;
    static final double THRESHOLD = 0.5;

    private final String needle;

    SubstringDetector(String name, String needle) {
        super(name);
        this.needle = needle;
    }

    @Override
    protected ScanResult judge(ScanInput input) {
        String text = input.text();
        List<Evidence> spans = new ArrayList<>();
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
            spans.add(new Evidence(at, at + needle.length(), "substring", 1.0, null));
        }
        boolean found = !spans.isEmpty();
        return ScanResult.builder(name(), input.stage())
                .decision(found ? Decision.FLAGGED : Decision.PASSED)
                .score(found ? FLAG_SCORE : PASS_SCORE)
                .threshold(THRESHOLD)
                .label("substring")
                .evidence(spans)
                .build();
    }
}
