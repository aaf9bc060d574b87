package dev.parapet.core;

import java.util.Objects;

/**
 * The part of the caller's text a decision came from: a window of a long text, a regex match, a
 * sentence. {@code start} and {@code end} are UTF-16 offsets into the string the caller passed
 * (as {@link String#substring(int, int)} takes them), end exclusive.
 *
 * @param start  first UTF-16 index, inclusive
 * @param end    last UTF-16 index, exclusive
 * @param label  the label this part scored for, or {@code null}
 * @param score  the score of this part in [0, 1], or {@code NaN} where a rule has none
 * @param detail a short human note (e.g. "window 3 of 40", a judge's reason), or {@code null}
 */
public record Evidence(int start, int end, String label, double score, String detail) {
    public Evidence {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("evidence span must satisfy 0 <= start <= end, got [" + start + ", " + end + ")");
        }
    }

    public static Evidence span(int start, int end) {
        return new Evidence(start, end, null, Double.NaN, null);
    }

    /** The evidence text cut from {@code text}, which must be the string the offsets refer to. */
    public String excerpt(String text) {
        Objects.requireNonNull(text, "text");
        return text.substring(Math.min(start, text.length()), Math.min(end, text.length()));
    }
}
