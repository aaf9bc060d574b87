package dev.parapet.train;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Cheap lexical signals of refusals (phrases such as "as an AI language model" or "I cannot"),
 * measured as an alternative beside the embedding. Not part of the head format: shipped heads are
 * embedding-only so the fused export reproduces them; this exists to measure what such features
 * would add.
 */
final class Lexical {
    private static final List<Pattern> REFUSAL = List.of(
            Pattern.compile("\\b(i'?m|i am) (sorry|afraid)\\b"),
            Pattern.compile("\\bas an ai\\b"),
            Pattern.compile("\\blanguage model\\b"),
            Pattern.compile("\\bi (can ?not|can't|won't|will not|am unable to|am not able to)\\b"),
            Pattern.compile("\\b(not (appropriate|ethical)|inappropriate|unethical|offensive|harmful)\\b"),
            Pattern.compile("\\bi (do not|don't) have (personal )?(opinions|beliefs|feelings)\\b"),
            Pattern.compile("\\b(instead|however)\\b"),
            Pattern.compile("\\b(illegal|against (the )?(law|policy|guidelines))\\b"),
            Pattern.compile("\\b(respect|respectful)\\b"),
            Pattern.compile("\\bit is (important|not possible)\\b"));

    private Lexical() {
    }

    static int size() {
        return REFUSAL.size() + 1;
    }

    /** Indicator per phrase in the first 300 characters (where refusals state themselves), plus log length. */
    static float[] refusalSignals(String text) {
        String head = text.substring(0, Math.min(300, text.length())).toLowerCase(Locale.ROOT).replace('\u2019', '\'');
        float[] f = new float[size()];
        for (int i = 0; i < REFUSAL.size(); i++) {
            f[i] = REFUSAL.get(i).matcher(head).find() ? 1f : 0f;
        }
        f[REFUSAL.size()] = (float) Math.log1p(text.length());
        return f;
    }
}
