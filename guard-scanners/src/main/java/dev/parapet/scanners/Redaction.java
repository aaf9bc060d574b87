package dev.parapet.scanners;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/** Replaces spans of a text, for the rule scanners that redact. */
final class Redaction {
    private Redaction() {
    }

    /**
     * {@code text} with every match replaced by {@code replacement.apply(match)}. Overlapping
     * matches (two patterns hitting the same secret) are merged into one span and replaced once,
     * with the replacement of the one that starts first: no part of either survives, and no
     * replacement token is spliced into another.
     */
    static String apply(String text, List<RuleMatch> matches, Function<RuleMatch, String> replacement) {
        if (matches.isEmpty()) {
            return text;
        }
        List<RuleMatch> sorted = new ArrayList<>(matches);
        sorted.sort(Comparator.comparingInt(RuleMatch::start).thenComparing(Comparator.comparingInt(RuleMatch::end).reversed()));
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        int i = 0;
        while (i < sorted.size()) {
            RuleMatch first = sorted.get(i);
            int end = first.end();
            int j = i + 1;
            while (j < sorted.size() && sorted.get(j).start() < end) {
                end = Math.max(end, sorted.get(j).end());
                j++;
            }
            out.append(text, copied, first.start()).append(replacement.apply(first));
            copied = end;
            i = j;
        }
        return out.append(text, copied, text.length()).toString();
    }
}
