package dev.parapet.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Extra preference pairs that teach helpfulness on harmless prompts, because the shared preference
 * data (Anthropic HH-RLHF harmless-base) judges harmlessness only and a reward fitted on it alone
 * prefers refusing to answering. For each compliance row of the refusal training data (a prompt
 * ChatGPT answered, and the answer), two pairs are made: the real answer beats a real refusal taken
 * from another row of the same file, and the real answer beats a short non-answer.
 *
 * <p>The non-answers below were written for this purpose; the exact phrases the guard-models tests
 * check ("I don't know.", "I'm sorry, I can't help with that.") are deliberately absent, so those
 * tests measure generalisation. Prompts are given either raw or in the HH "Human: ..." form
 * (seeded coin), since callers send both.
 */
public final class PreferenceAugmentation {
    /** Short non-answers and deflections; none is one of the phrases the behaviour tests use. */
    static final List<String> NON_ANSWERS = List.of(
            "I have no idea.",
            "I'm not sure.",
            "Not sure, sorry.",
            "I don't know the answer to that.",
            "No idea, you'll have to look it up yourself.",
            "Sorry, I cannot help with this.",
            "I'm unable to assist with that request.",
            "I won't be able to answer that.",
            "I'd rather not answer.",
            "Hmm, I couldn't tell you.",
            "That's not something I can help with.",
            "Unfortunately I can't answer this question.",
            "I am not able to provide that information.",
            "Why do you want to know?",
            "Ask someone else.",
            "I can't say.");

    private PreferenceAugmentation() {
    }

    /**
     * @param refusalRows refusal training rows (prompt, response, label)
     * @param seed        picks the refusal, the non-answer and the prompt form of each pair
     */
    public static List<PreferencePair> helpfulnessPairs(List<LabelledText> refusalRows, long seed) {
        List<String> refusals = new ArrayList<>();
        for (LabelledText r : refusalRows) {
            if (r.label() == 1) {
                refusals.add(r.text());
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PreferencePair> out = new ArrayList<>();
        for (LabelledText r : refusalRows) {
            if (r.label() != 0 || r.prompt() == null || r.prompt().isBlank()) {
                continue;
            }
            String prompt = rnd.nextBoolean() ? r.prompt() : "Human: " + r.prompt();
            if (!refusals.isEmpty()) {
                out.add(new PreferencePair(prompt, r.text(), refusals.get(rnd.nextInt(refusals.size()))));
            }
            out.add(new PreferencePair(prompt, r.text(), NON_ANSWERS.get(rnd.nextInt(NON_ANSWERS.size()))));
        }
        return out;
    }
}
