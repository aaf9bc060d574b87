package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Finds characters that render as nothing but still reach the model, the carriers of "ASCII
 * smuggling" and hidden-instruction attacks, and by default strips them.
 *
 * <pre>{@code
 * Scanner invisible = InvisibleTextScanner.builder().build();           // detect and strip
 * Scanner audit = InvisibleTextScanner.builder().strip(false).build();  // detect only
 * }</pre>
 *
 * <h2>What counts as invisible ({@link Category})</h2>
 * <ul>
 *   <li>{@link Category#ZERO_WIDTH}: U+200B zero width space, U+200C non-joiner, U+200D joiner,
 *       U+2060 word joiner, U+FEFF byte order mark.</li>
 *   <li>{@link Category#BIDI_CONTROL}: U+202A–U+202E embeddings and overrides, U+2066–U+2069
 *       isolates, U+200E/U+200F marks, U+061C Arabic letter mark ("Trojan Source").</li>
 *   <li>{@link Category#TAG}: U+E0000–U+E007F, which mirror ASCII invisibly.</li>
 *   <li>{@link Category#PRIVATE_USE}: U+E000–U+F8FF and planes 15–16 (U+F0000–U+10FFFF): no agreed
 *       glyph, so a reader sees nothing or a box while a model sees a token.</li>
 *   <li>{@link Category#FORMAT}: every other Unicode format character (general category Cf), e.g.
 *       U+00AD soft hyphen, U+2061–U+2064 invisible operators, U+180E, U+FFF9–U+FFFB.</li>
 *   <li>{@link Category#VARIATION_SELECTOR_RUN}: a variation selector (U+FE00–U+FE0F,
 *       U+E0100–U+E01EF) right after another one. A character takes at most one, so the second
 *       and later of a run carry hidden data (the "emoji smuggling" trick); the first is kept.</li>
 *   <li>{@link Category#LONE_SURROGATE}: a UTF-16 surrogate without its partner, i.e. text that
 *       is not valid Unicode and cannot be encoded for a model.</li>
 * </ul>
 *
 * <h2>What is kept, and why</h2>
 * <ul>
 *   <li>U+200D inside an emoji ZWJ sequence, i.e. between two emoji (the one before may carry a
 *       U+FE0F or a skin-tone modifier): {@code 👩‍💻}, {@code 👨‍👩‍👧}, {@code 🏳️‍🌈},
 *       {@code ❤️‍🔥}. Stripping it would split one emoji into several. Emoji are recognised by
 *       the blocks Unicode assigns them (U+1F000–U+1FAFF, U+2600–U+27BF, U+2B00–U+2BFF,
 *       U+2300–U+23FF, U+2190–U+21FF, U+25A0–U+25FF and a few symbols such as © ® ™), an
 *       approximation of the Extended_Pictographic property, which Java 17 does not expose.</li>
 *   <li>Tag characters inside an emoji tag sequence, the subdivision flags such as England's
 *       {@code 🏴󠁧󠁢󠁥󠁮󠁧󠁿}: U+1F3F4, then 2–6 tags among lowercase letters and digits, then the
 *       cancel tag U+E007F. Such a sequence can hide at most six letters or digits.</li>
 *   <li>The prepended concatenation marks (U+0600–U+0605, U+06DD, U+070F, U+0890–U+0891, U+08E2,
 *       U+110BD, U+110CD): format characters in name only, they are drawn as visible signs.</li>
 *   <li>Anything passed to {@link Builder#allow(int...)}, and every category left out of
 *       {@link Builder#categories}.</li>
 * </ul>
 * Caveat: U+200C and U+200D also shape Persian and Indic scripts (Persian "می‌خواهم" uses U+200C);
 * stripping them leaves the words readable but not typographically right. Applications serving
 * those languages should {@code allow(0x200C, 0x200D)}. Not covered: ordinary control characters
 * (use a {@link RegexScanner} on {@code \p{Cc}} if you need to), spaces of odd width, Hangul
 * fillers and look-alike letters.
 *
 * <h2>Results</h2>
 * {@link Decision#FLAGGED} when anything was found, else {@link Decision#PASSED}; score and
 * threshold are {@code NaN}. One evidence per run of adjacent invisible characters of one
 * category, as UTF-16 offsets into the judged text, labelled with the category
 * ({@code zero_width}, {@code bidi_control}, ...) and with the code points in the detail, e.g.
 * {@code "U+200B x3"} or {@code "U+202E x1, U+2066 x2"} (at most eight groups, then a count). The
 * result's label is the first run's category. Attributes: {@code matches} (runs),
 * {@code characters} (code points and lone surrogates found). With {@link Builder#strip(boolean)
 * strip(true)} (the default) the scanner is a sanitizer whose {@link ScanResult#sanitizedText()}
 * is the text without them, and the result is still FLAGGED unless
 * {@link Builder#flagWhenSanitized(boolean) flagWhenSanitized(false)}.
 *
 * <p>Immutable and thread-safe; one pass over the text by code point, with no copy unless
 * something is found.
 */
public final class InvisibleTextScanner implements Scanner {
    /** The default {@link #name()}. */
    public static final String DEFAULT_NAME = "invisible-text";

    /** Kinds of invisible characters; each is the label of its evidence. */
    public enum Category {
        ZERO_WIDTH("zero_width"),
        BIDI_CONTROL("bidi_control"),
        TAG("tag"),
        PRIVATE_USE("private_use"),
        FORMAT("format"),
        VARIATION_SELECTOR_RUN("variation_selector_run"),
        LONE_SURROGATE("lone_surrogate");

        private final String label;

        Category(String label) {
            this.label = label;
        }

        /** The evidence label, e.g. {@code "zero_width"}. */
        public String label() {
            return label;
        }
    }

    private static final int ZWJ = 0x200D;
    private static final int VS16 = 0xFE0F;
    private static final int BLACK_FLAG = 0x1F3F4;
    private static final int CANCEL_TAG = 0xE007F;
    private static final int MAX_DETAIL_GROUPS = 8;

    private final String name;
    private final boolean strip;
    private final boolean flagWhenSanitized;
    private final Set<Category> categories;
    private final int[] allowed;
    private final int maxEvidence;

    private InvisibleTextScanner(Builder b) {
        this.name = b.name;
        this.strip = b.strip;
        this.flagWhenSanitized = b.flagWhenSanitized;
        this.categories = Set.copyOf(b.categories);
        this.allowed = b.allowed.clone();
        this.maxEvidence = b.maxEvidence;
    }

    /** A builder with the defaults: every category, strip on. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /** True when invisible characters are stripped, i.e. this scanner may rewrite text. */
    @Override
    public boolean isSanitizer() {
        return strip;
    }

    public Set<Category> categories() {
        return categories;
    }

    @Override
    public ScanResult scan(ScanInput input) {
        Objects.requireNonNull(input, "input");
        long start = System.nanoTime();
        try {
            String text = input.text();
            List<RuleMatch> runs = new ArrayList<>();
            int found = 0;
            StringBuilder stripped = null;
            int copied = 0;
            Run run = null;
            int n = text.length();
            int i = 0;
            while (i < n) {
                int cp = text.codePointAt(i);
                int width = Character.charCount(cp);
                if (cp == BLACK_FLAG) {
                    // A valid tag sequence after the flag is one emoji: step over it whole.
                    int end = tagSequenceEnd(text, i + width);
                    if (end > 0) {
                        run = close(run, runs);
                        i = end;
                        continue;
                    }
                }
                Category category = classify(text, i, cp);
                if (category == null) {
                    run = close(run, runs);
                    i += width;
                    continue;
                }
                found++;
                if (run == null || run.category != category || run.end != i) {
                    run = close(run, runs);
                    run = new Run(category, i);
                }
                run.add(cp, i + width);
                if (strip) {
                    if (stripped == null) {
                        stripped = new StringBuilder(n);
                    }
                    stripped.append(text, copied, i);
                    copied = i + width;
                }
                i += width;
            }
            close(run, runs);
            ScanResult.Builder r = ScanResult.builder(name, input.stage());
            if (runs.isEmpty()) {
                return r.decision(Decision.PASSED).attribute("matches", "0").attribute("characters", "0")
                        .latency(RuleResults.since(start)).build();
            }
            String sanitized = stripped == null ? null : stripped.append(text, copied, n).toString();
            boolean flagged = sanitized == null || flagWhenSanitized;
            r.decision(flagged ? Decision.FLAGGED : Decision.PASSED).label(runs.get(0).label()).sanitizedText(sanitized);
            RuleResults.evidence(r, runs, maxEvidence);
            return r.attribute("characters", Integer.toString(found)).latency(RuleResults.since(start)).build();
        } catch (RuntimeException e) {
            return ScanResult.error(name, input.stage(), e, RuleResults.since(start));
        }
    }

    /** The category of the code point at {@code i}, or {@code null} when it stays. */
    private Category classify(String text, int i, int cp) {
        Category c;
        if (cp <= 0xFFFF && Character.isSurrogate((char) cp)) {
            // codePointAt returns a surrogate only when it has no partner; no allow-list can make
            // invalid UTF-16 valid, so this check comes first.
            c = Category.LONE_SURROGATE;
        } else if (Arrays.binarySearch(allowed, cp) >= 0) {
            return null;
        } else {
            c = categoryOf(text, i, cp);
        }
        return c != null && categories.contains(c) ? c : null;
    }

    private static Category categoryOf(String text, int i, int cp) {
        switch (cp) {
            case 0x200B, 0x200C, 0x2060, 0xFEFF:
                return Category.ZERO_WIDTH;
            case ZWJ:
                return inEmojiSequence(text, i) ? null : Category.ZERO_WIDTH;
            case 0x200E, 0x200F, 0x061C:
                return Category.BIDI_CONTROL;
            default:
                break;
        }
        if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
            return Category.BIDI_CONTROL;
        }
        if (cp >= 0xE0000 && cp <= 0xE007F) {
            return Category.TAG;
        }
        if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000) {
            return Category.PRIVATE_USE;
        }
        if (isVariationSelector(cp)) {
            return i > 0 && isVariationSelector(text.codePointBefore(i)) ? Category.VARIATION_SELECTOR_RUN : null;
        }
        if (Character.getType(cp) == Character.FORMAT && !isPrependedConcatenationMark(cp)) {
            return Category.FORMAT;
        }
        return null;
    }

    /** True when the ZWJ at {@code i} joins two emoji. */
    private static boolean inEmojiSequence(String text, int i) {
        int after = i + 1;
        if (i == 0 || after >= text.length()) {
            return false;
        }
        int before = text.codePointBefore(i);
        int beforeAt = i - Character.charCount(before);
        if (before == VS16 && beforeAt > 0) {
            before = text.codePointBefore(beforeAt);
        }
        return isEmoji(before) && isEmoji(text.codePointAt(after));
    }

    /**
     * Extended_Pictographic, approximated by blocks: Java 17 has no {@code Character.isEmoji}. Emoji
     * modifiers (U+1F3FB–U+1F3FF) fall in the first range, so "👩🏽‍💻" joins.
     */
    static boolean isEmoji(int cp) {
        return (cp >= 0x1F000 && cp <= 0x1FAFF)
                || (cp >= 0x2600 && cp <= 0x27BF)
                || (cp >= 0x2B00 && cp <= 0x2BFF)
                || (cp >= 0x2300 && cp <= 0x23FF)
                || (cp >= 0x2190 && cp <= 0x21FF)
                || (cp >= 0x25A0 && cp <= 0x25FF)
                || cp == 0x00A9 || cp == 0x00AE || cp == 0x203C || cp == 0x2049 || cp == 0x2122
                || cp == 0x2139 || cp == 0x2934 || cp == 0x2935 || cp == 0x3030 || cp == 0x303D
                || cp == 0x3297 || cp == 0x3299;
    }

    /** The index after a valid emoji tag sequence's cancel tag starting at {@code i}, or -1. */
    private static int tagSequenceEnd(String text, int i) {
        int tags = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            if (cp == CANCEL_TAG) {
                return tags >= 2 && tags <= 6 ? i + 2 : -1;
            }
            boolean tagSpec = (cp >= 0xE0030 && cp <= 0xE0039) || (cp >= 0xE0061 && cp <= 0xE007A);
            if (!tagSpec || ++tags > 6) {
                return -1;
            }
            i += 2;
        }
        return -1;
    }

    private static boolean isVariationSelector(int cp) {
        return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
    }

    private static boolean isPrependedConcatenationMark(int cp) {
        return (cp >= 0x0600 && cp <= 0x0605) || cp == 0x06DD || cp == 0x070F || cp == 0x0890 || cp == 0x0891
                || cp == 0x08E2 || cp == 0x110BD || cp == 0x110CD;
    }

    private static Run close(Run run, List<RuleMatch> runs) {
        if (run != null) {
            runs.add(run.toMatch());
        }
        return null;
    }

    /** Adjacent invisible characters of one category, with their code points grouped for the detail. */
    private static final class Run {
        final Category category;
        final int start;
        int end;
        int groups;
        int lastCp = -1;
        int lastCount;
        int hidden;
        final StringBuilder detail = new StringBuilder();

        Run(Category category, int start) {
            this.category = category;
            this.start = start;
            this.end = start;
        }

        void add(int cp, int newEnd) {
            end = newEnd;
            if (cp == lastCp) {
                lastCount++;
                return;
            }
            flush();
            lastCp = cp;
            lastCount = 1;
        }

        private void flush() {
            if (lastCp < 0) {
                return;
            }
            if (groups < MAX_DETAIL_GROUPS) {
                if (groups > 0) {
                    detail.append(", ");
                }
                detail.append(String.format(Locale.ROOT, "U+%04X x%d", lastCp, lastCount));
            } else {
                hidden += lastCount;
            }
            groups++;
        }

        RuleMatch toMatch() {
            flush();
            lastCp = -1;
            if (hidden > 0) {
                detail.append(", ... (").append(hidden).append(" more)");
            }
            return new RuleMatch(start, end, category.label(), detail.toString());
        }
    }

    @Override
    public String toString() {
        return "InvisibleTextScanner{" + name + ", " + categories.size() + " categories" + (strip ? ", strip" : "") + '}';
    }

    /** Settings for an {@link InvisibleTextScanner}; each setter validates at once. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private boolean strip = true;
        private boolean flagWhenSanitized = true;
        private Set<Category> categories = EnumSet.allOf(Category.class);
        private int[] allowed = new int[0];
        private int maxEvidence = RuleResults.DEFAULT_MAX_EVIDENCE;

        private Builder() {
        }

        /** The scanner's name in results (default {@value InvisibleTextScanner#DEFAULT_NAME}). */
        public Builder name(String name) {
            this.name = RuleResults.name(name);
            return this;
        }

        /** Whether found characters are removed, making this a sanitizer (default true). */
        public Builder strip(boolean strip) {
            this.strip = strip;
            return this;
        }

        /**
         * Whether a text this scanner stripped is still {@link Decision#FLAGGED} (default true, so
         * the guard blocks); false lets the stripped text through as {@link Decision#PASSED}, which
         * suits a normalisation step in front of other scanners.
         */
        public Builder flagWhenSanitized(boolean flagWhenSanitized) {
            this.flagWhenSanitized = flagWhenSanitized;
            return this;
        }

        /** The categories to look for, replacing the default (all of them); at least one. */
        public Builder categories(Collection<Category> categories) {
            Objects.requireNonNull(categories, "categories");
            if (categories.isEmpty()) {
                throw new IllegalArgumentException("categories needs at least one Category");
            }
            for (Category c : categories) {
                Objects.requireNonNull(c, "categories contains null");
            }
            this.categories = EnumSet.copyOf(categories);
            return this;
        }

        /** The categories to look for; see {@link #categories(Collection)}. */
        public Builder categories(Category... categories) {
            Objects.requireNonNull(categories, "categories");
            return categories(Arrays.asList(categories));
        }

        /**
         * Code points never reported or stripped, replacing any allowed before, e.g.
         * {@code allow(0x200C)} for Persian text. Each must be a valid code point; a surrogate
         * value allows nothing (lone surrogates are always reported).
         */
        public Builder allow(int... codePoints) {
            Objects.requireNonNull(codePoints, "codePoints");
            for (int cp : codePoints) {
                if (!Character.isValidCodePoint(cp)) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "allow: 0x%X is not a Unicode code point (0 to 0x10FFFF)", cp));
                }
            }
            int[] sorted = codePoints.clone();
            Arrays.sort(sorted);
            this.allowed = sorted;
            return this;
        }

        /** The most evidence entries one result lists (default 1000); the {@code matches} attribute counts all. */
        public Builder maxEvidence(int maxEvidence) {
            this.maxEvidence = RuleResults.maxEvidence(maxEvidence);
            return this;
        }

        public InvisibleTextScanner build() {
            return new InvisibleTextScanner(this);
        }
    }
}
