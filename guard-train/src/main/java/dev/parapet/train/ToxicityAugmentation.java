package dev.parapet.train;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * ParaDetox ({@code detox/paradetox.jsonl}: a toxic sentence and one to three crowd-written neutral
 * rewrites) as extra toxicity training rows. Each pair says what makes the sentence toxic while
 * the topic stays the same, which a head on topic-heavy sentence embeddings needs.
 *
 * <p>The rows only ever join the fit split (the caller marks them as derived from no original),
 * so validation figures stay comparable with a head trained without them. A row whose
 * {@link #key} equals a training or dev text, or an earlier added row, is left out; so is a
 * "rewrite" that equals its toxic sentence (ParaDetox has 151 of those).
 */
public final class ToxicityAugmentation {
    private static final Pattern NON_ALNUM = Pattern.compile("[^\\p{L}\\p{N}]+");
    private static final Pattern PUNCT = Pattern.compile("\\s*([.,!?;:\"()])\\s*");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    /** How the neutral rewrites are written. */
    public enum Style {
        /** As the crowd wrote them (mixed case). */
        RAW,
        /**
         * In the style of the Jigsaw sentences ParaDetox's toxic side comes from: lower case, punctuation
         * set off by spaces. Otherwise case alone would tell the two sides apart.
         */
        JIGSAW
    }

    private ToxicityAugmentation() {
    }

    /**
     * Toxic sentences (label 1) and their neutral rewrites (label 0).
     *
     * @param pairs   rows of {@link Jsonl#readParallel}: the toxic sentence first, then its rewrites
     * @param exclude texts that must not reappear (training and dev rows)
     */
    public static List<LabelledText> paradetox(List<List<String>> pairs, Collection<LabelledText> exclude, Style style) {
        Set<String> seen = new HashSet<>();
        for (LabelledText t : exclude) {
            seen.add(key(t.text()));
        }
        List<LabelledText> out = new ArrayList<>();
        for (List<String> pair : pairs) {
            if (pair.isEmpty()) {
                continue;
            }
            String toxic = pair.get(0);
            String toxicKey = key(toxic);
            if (toxicKey.isEmpty()) {
                continue;
            }
            if (seen.add(toxicKey)) {
                out.add(new LabelledText(null, toxic, 1));
            }
            for (String neutral : pair.subList(1, pair.size())) {
                String k = key(neutral);
                if (!k.isEmpty() && !k.equals(toxicKey) && seen.add(k)) {
                    out.add(new LabelledText(null, style == Style.JIGSAW ? jigsawStyle(neutral) : neutral, 0));
                }
            }
        }
        return out;
    }

    /** Lower case, letters and digits only, single spaces: what two texts must share to count as the same. */
    static String key(String text) {
        return NON_ALNUM.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ").strip();
    }

    /** Lower case with punctuation set off by single spaces, as in "i 'm not gonna sell it , ok ." */
    static String jigsawStyle(String text) {
        String s = PUNCT.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" $1 ");
        return SPACES.matcher(s).replaceAll(" ").strip();
    }
}
