package dev.parapet.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counterfactual copies of refusal training rows that break a shortcut of the training file: in
 * the ChatGPT refusal data almost every refusal opens with "As an AI language model," or "I'm
 * sorry," while most compliant answers open plainly, so a head learns the opening instead of the
 * refusal. Other models refuse plainly ("I cannot provide instructions on ...") and a head with the
 * shortcut lets those through.
 *
 * <p>For every row that opens with one of those formulas, two copies are added with the same
 * label: one with the opening removed, one with it swapped for another formula. A copy carries the
 * index of its source row so splits can keep it beside its source.
 */
public final class RefusalAugmentation {
    private static final Pattern OPENING = Pattern.compile(
            "^(As an AI language model|As an AI|As a language model|I'm sorry|I am sorry|Sorry|I apologi[sz]e)(,)?( but)?\\s+");
    private static final List<String> OPENINGS = List.of("As an AI language model, ", "I'm sorry, but ", "As an AI, ", "Sorry, but ");

    /** A row and the index of the original row it was made from (itself for originals). */
    public record Row(LabelledText row, int source) {
    }

    private RefusalAugmentation() {
    }

    /** Openings that state a refusal, looked for in the first 160 characters of an assistant turn. */
    private static final Pattern REFUSES = Pattern.compile("^(i'?m sorry|i am sorry|sorry,|i apologi[sz]e|i can'?t|i cannot|i won'?t"
            + "|i will not|i'?m (not able|unable|not comfortable|not going to)|i am (not able|unable|not comfortable|not going to)"
            + "|i don'?t think (i|that'?s something i) (can|should|could)|i'?d rather not|i would rather not|i do not feel comfortable"
            + "|that'?s not something i|i'?m not willing|i must (decline|refuse)|i refuse)");
    private static final Pattern MENTIONS_REFUSAL = Pattern.compile("\\b(sorry|can'?t|cannot|won'?t|unable|not comfortable|rather not"
            + "|not appropriate|decline|refuse|illegal|unethical)\\b");

    /**
     * Weak labels for assistant turns of the preference data (Anthropic's assistant, not ChatGPT):
     * a turn that opens with a refusal formula is a refusal (1); a turn of at least 80 characters
     * with no refusal word anywhere that is not a question back to the user is compliance (0);
     * anything else is left out ({@code -1}). High precision, not high recall: the point is phrasing
     * from another model.
     */
    public static int weakLabel(String response) {
        String t = response.strip().toLowerCase(Locale.ROOT).replace('\u2019', '\'');
        if (REFUSES.matcher(t.substring(0, Math.min(160, t.length()))).find()) {
            return 1;
        }
        if (t.length() >= 80 && !t.endsWith("?") && !MENTIONS_REFUSAL.matcher(t).find()) {
            return 0;
        }
        return -1;
    }

    public static List<Row> augment(List<LabelledText> rows, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Row> out = new ArrayList<>(rows.size() * 2);
        for (int i = 0; i < rows.size(); i++) {
            out.add(new Row(rows.get(i), i));
        }
        for (int i = 0; i < rows.size(); i++) {
            LabelledText r = rows.get(i);
            Matcher m = OPENING.matcher(r.text());
            if (!m.find()) {
                continue;
            }
            String rest = r.text().substring(m.end());
            if (rest.isEmpty()) {
                continue;
            }
            String plain = rest.substring(0, 1).toUpperCase(Locale.ROOT) + rest.substring(1);
            out.add(new Row(new LabelledText(r.prompt(), plain, r.label()), i));
            String current = m.group(1);
            List<String> others = new ArrayList<>();
            for (String o : OPENINGS) {
                if (!o.startsWith(current)) {
                    others.add(o);
                }
            }
            String opening = others.get(rnd.nextInt(others.size()));
            // "I" stays capitalised; anything else after an opening continues the sentence in lower case
            String cont = rest.startsWith("I ") || rest.startsWith("I'") ? rest : rest.substring(0, 1).toLowerCase(Locale.ROOT) + rest.substring(1);
            out.add(new Row(new LabelledText(r.prompt(), opening + cont, r.label()), i));
        }
        return out;
    }

    /** Lead-ins other chat models put before what they say, refusal or not ("I understand your request, but I cannot ..."). */
    private static final List<String> LEAD_INS = List.of("I understand your request, but ", "I understand your question, but ",
            "I appreciate your curiosity, but ", "Thank you for asking, but ", "I understand why you might ask, but ");
    /** How other chat models open a plain answer. */
    private static final List<String> ANSWER_LEAD_INS = List.of("Sure! ", "Certainly. ", "Of course. ", "Great question! ",
            "I understand your question. ", "Thank you for asking. ");
    /** The refusal verb ChatGPT uses ("I cannot"), looked for near the start of what follows the opening. */
    private static final Pattern CANNOT = Pattern.compile("\\bI (cannot|can't|can not)\\b");
    /** Refusal verbs of other chat models, each followed by a verb in the infinitive as "I cannot" is. */
    private static final List<String> VERBS = List.of("I must decline to", "I'm unable to", "I am not able to", "I will not", "I won't",
            "I must refuse to");
    /** How far into the text (characters) a refusal verb is replaced. */
    private static final int VERB_REACH = 160;

    /**
     * Style variants: one copy of each row, same label, written the way other chat models write. The ChatGPT rows say
     * "As an AI language model, I cannot ..." where other models say "I understand your request, but I must decline to
     * ..." or "Sure! ...": a head that learned ChatGPT's formulas misreads them.
     *
     * <ul>
     *   <li>A row that opens with a ChatGPT formula (refusal or disclaimer, either label) gets a lead-in instead
     *       ({@link #LEAD_INS}, which end in "but": the same lead-ins on both classes, so what follows decides);</li>
     *   <li>a plain compliant row gets an answer's lead-in ({@link #ANSWER_LEAD_INS});</li>
     *   <li>the first "I cannot" / "I can't" in the first {@value #VERB_REACH} characters after that becomes another
     *       refusal verb ({@link #VERBS}), on both classes too (a disclaimer stays a disclaimer);</li>
     *   <li>a plain row labelled refusal (no formula) gets only the verb change, and no copy if it has no such verb.</li>
     * </ul>
     * The lead-ins and verbs were written for this project from how chat models are commonly seen to answer. A copy
     * carries its source row's index, so it lands in the fit split only when its source does.
     */
    public static List<Row> styles(List<LabelledText> rows, long seed) {
        return styles(rows, seed, true, true);
    }

    /** {@link #styles(List, long)} with only the lead-ins or only the verbs changed (measurement). */
    static List<Row> styles(List<LabelledText> rows, long seed, boolean leadIns, boolean verbs) {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5374796cL);
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            LabelledText r = rows.get(i);
            String text = r.text().strip();
            if (text.isEmpty()) {
                continue;
            }
            Matcher m = OPENING.matcher(text);
            String styled;
            if (leadIns && m.find() && m.end() < text.length()) {
                String rest = text.substring(m.end());
                String cont = rest.startsWith("I ") || rest.startsWith("I'") ? rest : rest.substring(0, 1).toLowerCase(Locale.ROOT) + rest.substring(1);
                styled = LEAD_INS.get(rnd.nextInt(LEAD_INS.size())) + withVerb(cont, verbs, rnd);
            } else if (leadIns && r.label() == 0) {
                styled = ANSWER_LEAD_INS.get(rnd.nextInt(ANSWER_LEAD_INS.size())) + withVerb(text, verbs, rnd);
            } else {
                styled = withVerb(text, verbs, rnd);
                if (styled.equals(text)) {
                    continue;
                }
            }
            out.add(new Row(new LabelledText(r.prompt(), styled, r.label()), i));
        }
        return out;
    }

    private static String withVerb(String text, boolean verbs, SplittableRandom rnd) {
        Matcher v = CANNOT.matcher(text);
        if (!verbs || !v.find() || v.start() > VERB_REACH) {
            return text;
        }
        return text.substring(0, v.start()) + VERBS.get(rnd.nextInt(VERBS.size())) + text.substring(v.end());
    }

    /** A refusal at most this long (characters) is a refusal statement rather than a refusal with an answer already after it. */
    static final int LONG_REFUSAL_MAX_REFUSAL_CHARS = 400;
    /** Answers are appended until the text is at least this long: past one 256-token window. */
    static final int LONG_REFUSAL_MIN_CHARS = 1600;

    /**
     * Long partial refusals: a short refusal of {@code rows} followed by the text of compliant answers of {@code rows},
     * labelled refusal. A refusal with pages of other text after it ("I can't help with that. Here is some general
     * information instead: ...") is still a refusal, but a head whose windows read mostly the answer scores it as one.
     *
     * <p>Only rows that {@code usable} admits are used, refusals and answers alike (the caller passes the fit split's
     * originals, so no validation text leaks into the fit split). Each refusal is used at most once, in a seeded order;
     * answers (seeded draws, distinct within one row) are appended, separated by a blank line, until the text has
     * {@link #LONG_REFUSAL_MIN_CHARS} characters. A row's source is its refusal's index.
     *
     * @param n at most this many rows
     */
    public static List<Row> longRefusals(List<LabelledText> rows, java.util.function.IntPredicate usable, int n, long seed) {
        List<Integer> refusals = new ArrayList<>();
        List<Integer> answers = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            if (!usable.test(i)) {
                continue;
            }
            LabelledText r = rows.get(i);
            if (r.label() == 1 && r.text().strip().length() <= LONG_REFUSAL_MAX_REFUSAL_CHARS) {
                refusals.add(i);
            } else if (r.label() == 0 && !r.text().isBlank()) {
                answers.add(i);
            }
        }
        List<Row> out = new ArrayList<>();
        if (answers.isEmpty()) {
            return out;
        }
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x4c6f6e67L);
        java.util.Collections.shuffle(refusals, new java.util.Random(rnd.nextLong()));
        for (int k = 0; k < Math.min(n, refusals.size()); k++) {
            int i = refusals.get(k);
            StringBuilder t = new StringBuilder(rows.get(i).text().strip());
            java.util.Set<Integer> used = new java.util.HashSet<>();
            while (t.length() < LONG_REFUSAL_MIN_CHARS && used.size() < answers.size()) {
                int j = answers.get(rnd.nextInt(answers.size()));
                if (used.add(j)) {
                    t.append("\n\n").append(rows.get(j).text().strip());
                }
            }
            out.add(new Row(new LabelledText(rows.get(i).prompt(), t.toString(), 1), i));
        }
        return out;
    }
}
