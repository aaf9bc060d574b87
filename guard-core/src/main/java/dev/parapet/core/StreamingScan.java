package dev.parapet.core;

import java.text.BreakIterator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Scans an LLM output as it streams in: {@link #append} takes each delta, and every sentence that
 * is complete (another sentence has started after it) goes through the guard's output stage once,
 * with the prompt as context. Total work is linear in the output length; the incomplete tail waits
 * for more text or for {@link #finish()}.
 *
 * <p>Semantics: the output is judged sentence by sentence, the way a scanner in sentence match mode
 * judges a whole text, so a decision that needs context across sentences can differ from
 * {@link Guard#scanOutput} on the whole text. Evidence offsets in {@link #verdict()} are UTF-16
 * offsets into the whole output received so far. A sentence longer than {@link #MAX_PENDING_CHARS}
 * without a sentence boundary is cut at the last whitespace before that size (or at the size) so
 * memory and latency stay bounded.
 *
 * <p>Once a sentence blocks, the stream is blocked: {@link Update#blocked()} is true, later
 * {@code append} calls scan nothing and return the same blocked state, and the caller should stop
 * forwarding text (stop the LLM's stream). Sanitizers run per sentence: forward
 * {@link Update#released()}, the sanitized text of the sentences completed by this delta.
 *
 * <p>One stream is used by one producer at a time; the methods are synchronized so a stray
 * concurrent call cannot corrupt it.
 */
public final class StreamingScan {
    /** Longest pending text kept waiting for a sentence boundary. */
    public static final int MAX_PENDING_CHARS = 4_000;

    private final Guard guard;
    private final String prompt;
    private final StringBuilder pending = new StringBuilder();
    private final StringBuilder sanitized = new StringBuilder();
    private final List<ScanResult> results = new ArrayList<>();
    private int scannedUpTo;
    private boolean blocked;
    private boolean finished;
    private long nanos;

    /** What one {@link #append} (or {@link #finish()}) did. */
    public record Update(String released, List<ScanResult> results, boolean blocked) {
        public Update {
            results = List.copyOf(results);
        }
    }

    StreamingScan(Guard guard, String prompt) {
        this.guard = guard;
        this.prompt = prompt;
    }

    /** Adds a delta and scans the sentences it completes. */
    public synchronized Update append(String delta) {
        Objects.requireNonNull(delta, "delta");
        if (finished) {
            throw new IllegalStateException("stream already finished");
        }
        if (blocked) {
            return new Update("", List.of(), true);
        }
        pending.append(delta);
        return scanCompleted(false);
    }

    /** Scans what is left and ends the stream. */
    public synchronized Update finish() {
        if (finished) {
            throw new IllegalStateException("stream already finished");
        }
        finished = true;
        if (blocked) {
            return new Update("", List.of(), true);
        }
        return scanCompleted(true);
    }

    /** Everything judged so far, as one verdict over the output received (sanitized per sentence). */
    public synchronized Verdict verdict() {
        return new Verdict(results, guard.failurePolicy(), prompt, sanitized.toString(), Duration.ofNanos(nanos));
    }

    public synchronized boolean blocked() {
        return blocked;
    }

    private Update scanCompleted(boolean all) {
        List<int[]> sentences = completeSentences(all);
        StringBuilder released = new StringBuilder();
        List<ScanResult> fresh = new ArrayList<>();
        int consumed = 0;
        for (int[] s : sentences) {
            String sentence = pending.substring(s[0], s[1]);
            int offset = scannedUpTo + s[0];
            consumed = s[1];
            if (sentence.isBlank()) {
                released.append(sentence);
                sanitized.append(sentence);
                continue;
            }
            long start = System.nanoTime();
            Verdict v = guard.scanOutput(prompt, sentence);
            nanos += System.nanoTime() - start;
            for (ScanResult r : v.results()) {
                ScanResult shifted = shift(r, offset);
                results.add(shifted);
                fresh.add(shifted);
            }
            String out = v.sanitizedOutput() == null ? sentence : v.sanitizedOutput();
            sanitized.append(out);
            if (v.blocked()) {
                blocked = true;
                break;
            }
            released.append(out);
        }
        scannedUpTo += consumed;
        pending.delete(0, consumed);
        return new Update(released.toString(), fresh, blocked);
    }

    /** Spans [start, end) in {@code pending} of the sentences ready to scan. */
    private List<int[]> completeSentences(boolean all) {
        List<int[]> spans = new ArrayList<>();
        if (pending.length() == 0) {
            return spans;
        }
        BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
        String text = pending.toString();
        it.setText(text);
        int start = it.first();
        for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            boolean last = end == text.length();
            if (last && !all) {
                break;
            }
            spans.add(new int[]{start, end});
        }
        int covered = spans.isEmpty() ? 0 : spans.get(spans.size() - 1)[1];
        if (!all && text.length() - covered > MAX_PENDING_CHARS) {
            int limit = covered + MAX_PENDING_CHARS;
            int cut = limit;
            for (int i = limit; i > covered; i--) {
                if (Character.isWhitespace(text.charAt(i - 1))) {
                    cut = i;
                    break;
                }
            }
            if (cut > covered + 1 && Character.isHighSurrogate(text.charAt(cut - 1))) {
                cut--; // never split a surrogate pair
            }
            spans.add(new int[]{covered, cut});
        }
        return spans;
    }

    private static ScanResult shift(ScanResult r, int offset) {
        if (offset == 0 || r.evidence().isEmpty()) {
            return r;
        }
        ScanResult.Builder b = ScanResult.builder(r.scanner(), r.stage()).decision(r.decision()).score(r.score())
                .threshold(r.threshold()).label(r.label()).sanitizedText(r.sanitizedText()).latency(r.latency())
                .error(r.error()).errorMessage(r.errorMessage());
        r.attributes().forEach(b::attribute);
        for (Evidence e : r.evidence()) {
            b.evidence(new Evidence(e.start() + offset, e.end() + offset, e.label(), e.score(), e.detail()));
        }
        return b.build();
    }
}
