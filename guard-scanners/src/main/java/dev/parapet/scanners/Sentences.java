package dev.parapet.scanners;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Sentence spans (UTF-16 offsets) of a text, blank ones dropped; the whole text if it has none. */
final class Sentences {
    record Span(int start, int end) {
    }

    private Sentences() {
    }

    static List<Span> split(String text) {
        BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
        it.setText(text);
        List<Span> spans = new ArrayList<>();
        int start = it.first();
        for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            if (!text.substring(start, end).isBlank()) {
                spans.add(new Span(start, end));
            }
        }
        if (spans.isEmpty()) {
            spans.add(new Span(0, text.length()));
        }
        return spans;
    }
}
