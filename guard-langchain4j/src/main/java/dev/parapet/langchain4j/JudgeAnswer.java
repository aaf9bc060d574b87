package dev.parapet.langchain4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A judge model's answer read as a label and a reason. The judge is asked for a one-word label
 * first; this accepts what real models make of that instruction and nothing looser:
 *
 * <ul>
 *   <li>case, surrounding markdown ({@code **toxic**}, {@code `toxic`}, {@code # toxic}), quotes and
 *       bullets are ignored, as is a leading {@code Label:}, {@code Answer:}, {@code Classification:}
 *       (and similar) key;</li>
 *   <li>the passed label is matched before the flagged one, as whole words, with spaces, hyphens or
 *       underscores between words: {@code non-toxic}, {@code Non Toxic}, {@code non_toxic},
 *       {@code nontoxic}, {@code not toxic} all pass; {@code toxic} flags; {@code toxicity} or
 *       {@code The text is toxic} are not labels;</li>
 *   <li>answers that open like a refusal ("I cannot...", "I'm sorry...", "As an AI...") are
 *       {@link Kind#REFUSED}; anything else is {@link Kind#UNREADABLE};</li>
 *   <li>the reason is what follows the label, without separators ({@code -}, {@code :}, {@code .}),
 *       markdown, or a {@code Reason:} key; {@code null} when there is none.</li>
 * </ul>
 */
final class JudgeAnswer {

    enum Kind { FLAGGED, PASSED, REFUSED, UNREADABLE }

    private static final List<String> KEYS = List.of("label", "answer", "classification", "class", "verdict",
            "category", "result", "rating", "output", "response", "assessment", "judgement", "judgment", "final answer");
    private static final List<String> REASON_KEYS = List.of("reason", "reasoning", "explanation", "rationale",
            "justification");
    private static final List<String> REFUSALS = List.of("i cannot", "i can't", "i can not", "i'm sorry", "i am sorry",
            "sorry", "as an ai", "as a language model", "i won't", "i will not", "i'm unable", "i am unable",
            "i'm not able", "i am not able", "i apologize", "i must decline", "i refuse", "unfortunately");
    /** Only the first characters decide the label; a long answer's tail is the reason. */
    private static final int HEAD_CHARS = 200;

    private final Kind kind;
    private final String reason;

    private JudgeAnswer(Kind kind, String reason) {
        this.kind = kind;
        this.reason = reason;
    }

    Kind kind() {
        return kind;
    }

    /** The judge's reason for {@link Kind#FLAGGED} and {@link Kind#PASSED}, or {@code null}. */
    String reason() {
        return reason;
    }

    /**
     * @param flaggedLabel e.g. "toxic"
     * @param passedLabel  e.g. "non-toxic"
     */
    static JudgeAnswer parse(String answer, String flaggedLabel, String passedLabel) {
        if (answer == null || answer.isBlank()) {
            return new JudgeAnswer(Kind.UNREADABLE, null);
        }
        String text = answer.replace('\u2019', '\'').replace('\u2018', '\'');
        int start = skipKeys(text, skipDecoration(text, 0));
        String lower = lowerHead(text);

        List<int[]> words = words(lower, start);
        for (List<String> variant : passedVariants(flaggedLabel, passedLabel)) {
            int end = match(lower, words, variant);
            if (end >= 0) {
                return new JudgeAnswer(Kind.PASSED, reasonAfter(text, end));
            }
        }
        int end = match(lower, words, labelWords(flaggedLabel));
        if (end >= 0) {
            return new JudgeAnswer(Kind.FLAGGED, reasonAfter(text, end));
        }
        String opening = start < lower.length() ? lower.substring(start) : "";
        for (String refusal : REFUSALS) {
            if (opening.startsWith(refusal)) {
                return new JudgeAnswer(Kind.REFUSED, null);
            }
        }
        return new JudgeAnswer(Kind.UNREADABLE, null);
    }

    /** The label as lowercase words: "non-toxic" → [non, toxic]. */
    static List<String> labelWords(String label) {
        List<String> out = new ArrayList<>();
        String lower = label.toLowerCase(Locale.ROOT);
        for (int[] w : words(lower, 0)) {
            out.add(lower.substring(w[0], w[1]));
        }
        return out;
    }

    private static List<List<String>> passedVariants(String flaggedLabel, String passedLabel) {
        List<String> flagged = labelWords(flaggedLabel);
        List<String> passed = labelWords(passedLabel);
        List<List<String>> variants = new ArrayList<>();
        variants.add(passed);
        variants.add(List.of(String.join("", passed)));
        List<String> not = new ArrayList<>(List.of("not"));
        not.addAll(flagged);
        variants.add(not);
        List<String> non = new ArrayList<>(List.of("non"));
        non.addAll(flagged);
        variants.add(non);
        variants.add(List.of("non" + String.join("", flagged)));
        return variants;
    }

    /** Lowercase char by char, so indexes in the result are indexes in {@code text}. */
    private static String lowerHead(String text) {
        int n = Math.min(text.length(), HEAD_CHARS);
        char[] c = new char[n];
        for (int i = 0; i < n; i++) {
            c[i] = Character.toLowerCase(text.charAt(i));
        }
        return new String(c);
    }

    /** Word spans [start, end) of letter/digit runs in {@code s} from {@code from}, at most 8. */
    private static List<int[]> words(String s, int from) {
        List<int[]> out = new ArrayList<>();
        int i = from;
        while (i < s.length() && out.size() < 8) {
            while (i < s.length() && !Character.isLetterOrDigit(s.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < s.length() && Character.isLetterOrDigit(s.charAt(i))) {
                i++;
            }
            if (i > start) {
                out.add(new int[] {start, i});
            }
        }
        return out;
    }

    /**
     * Where {@code label} ends if the answer's words start with it (joined only by spaces, hyphens
     * or underscores, and nothing but decoration before the first), else -1.
     */
    private static int match(String lower, List<int[]> words, List<String> label) {
        if (label.isEmpty() || words.size() < label.size()) {
            return -1;
        }
        for (int k = 0; k < label.size(); k++) {
            int[] w = words.get(k);
            if (!lower.substring(w[0], w[1]).equals(label.get(k))) {
                return -1;
            }
            if (k > 0) {
                for (int i = words.get(k - 1)[1]; i < w[0]; i++) {
                    char c = lower.charAt(i);
                    if (c != ' ' && c != '-' && c != '_' && c != '\u2010' && c != '\u2011' && c != '\u2013') {
                        return -1;
                    }
                }
            }
        }
        return words.get(label.size() - 1)[1];
    }

    private static boolean isDecoration(char c) {
        return Character.isWhitespace(c) || "*_`#>\"'|~[](){}<>-\u2022\u00AB\u00BB\u201C\u201D\u2013\u2014:.,;".indexOf(c) >= 0;
    }

    private static int skipDecoration(String text, int from) {
        int i = from;
        while (i < text.length() && isDecoration(text.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Skips leading "Label:"-style keys (and the decoration around them), twice at most. */
    private static int skipKeys(String text, int from) {
        int i = from;
        for (int round = 0; round < 2; round++) {
            int next = skipKey(text, i, KEYS);
            if (next == i) {
                return i;
            }
            i = skipDecoration(text, next);
        }
        return i;
    }

    /** After "key:" (or "key -") at {@code from}, or {@code from} when no key opens there. */
    private static int skipKey(String text, int from, List<String> keys) {
        for (String key : keys) {
            if (text.regionMatches(true, from, key, 0, key.length())) {
                int i = from + key.length();
                while (i < text.length() && (text.charAt(i) == '*' || text.charAt(i) == ' ')) {
                    i++;
                }
                if (i < text.length() && (text.charAt(i) == ':' || text.charAt(i) == '-' || text.charAt(i) == '=')) {
                    return i + 1;
                }
            }
        }
        return from;
    }

    private static String reasonAfter(String text, int end) {
        int i = skipDecoration(text, end);
        i = skipDecoration(text, skipKey(text, i, REASON_KEYS));
        String reason = text.substring(i).strip();
        // Closing markdown or quotes left over at the end.
        int j = reason.length();
        while (j > 0 && "*_`\"".indexOf(reason.charAt(j - 1)) >= 0) {
            j--;
        }
        reason = reason.substring(0, j).strip();
        return reason.isEmpty() ? null : reason;
    }
}
