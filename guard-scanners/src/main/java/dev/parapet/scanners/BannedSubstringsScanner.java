package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Flags a text that contains any of a list of banned substrings, and optionally redacts them.
 *
 * <pre>{@code
 * Scanner banned = BannedSubstringsScanner.builder()
 *         .substrings("project falcon", "internal only")
 *         .matchType(BannedSubstringsScanner.MatchType.WHOLE_WORD)
 *         .redact(true)
 *         .build();
 * }</pre>
 *
 * <h2>Matching</h2>
 * <ul>
 *   <li><b>Case.</b> Case-insensitive by default, by simple one-to-one case folding of each code
 *       point ({@link Character#toUpperCase(int)} then {@link Character#toLowerCase(int)}), which
 *       depends on no locale: a JVM running in Turkish still matches {@code "TITLE"} against
 *       {@code "title"}, and the dotted and dotless i ({@code İ ı I i}) all fold to {@code i}.
 *       Folding never changes a text's length, so offsets stay exact; the price is that one-to-many
 *       foldings are not applied ({@code "STRASSE"} does not match {@code "straße"}).</li>
 *   <li><b>{@link MatchType#SUBSTRING}</b> (default) finds an entry anywhere, also inside words
 *       ({@code "ass"} in {@code "class"}). <b>{@link MatchType#WHOLE_WORD}</b> requires that an
 *       entry which begins (ends) with a word character is not preceded (followed) by one, where
 *       word characters are Unicode letters, digits, combining marks and connector punctuation
 *       ({@code _}) in any script: {@code "кот"} is not found in {@code "котлета"}, nor
 *       {@code "cafe"} in {@code "cafe\u0301s"}. An entry's non-word edges need no boundary, so
 *       {@code "c++"} is found in {@code "c++17"}. Scripts written without spaces (Chinese,
 *       Japanese, Thai) have no word boundaries to find: use SUBSTRING for them.</li>
 *   <li><b>Overlaps.</b> The text is read left to right; at each position the longest entry that
 *       matches there wins and reading resumes after it (as a regex alternation of the entries,
 *       longest first, would). With entries {@code "abcd"} and {@code "cdef"}, {@code "abcdef"}
 *       yields one match, {@code "abcd"}; its redaction leaves {@code "ef"}.</li>
 *   <li><b>No normalisation.</b> Text is compared as given: invisible characters inside a word
 *       ({@code "pass\u200Bword"}) or look-alike letters defeat a match. Run
 *       {@link InvisibleTextScanner} before this scanner.</li>
 * </ul>
 *
 * <h2>Results</h2>
 * {@link Decision#FLAGGED} when anything matched, else {@link Decision#PASSED}; score and threshold
 * are {@code NaN}. One {@link dev.parapet.core.Evidence} per match, as UTF-16 offsets into the
 * judged text (before any redaction), labelled with the entry as configured; the result's label is
 * the first match's entry. Attributes: {@code matches} (and {@code evidence_dropped} past
 * {@link Builder#maxEvidence}). With {@link Builder#redact(boolean) redact(true)} the scanner is a
 * sanitizer: each match is replaced by the redaction token (default {@value #DEFAULT_REDACTION_TOKEN})
 * in {@link ScanResult#sanitizedText()}, and the result is still FLAGGED unless
 * {@link Builder#flagWhenSanitized(boolean) flagWhenSanitized(false)}.
 *
 * <p>Immutable and thread-safe. Cost is linear in the text times the number of entries that share
 * a first character; an empty text passes at once.
 */
public final class BannedSubstringsScanner implements Scanner {
    /** The default {@link #name()}. */
    public static final String DEFAULT_NAME = "banned-substrings";
    /** What a redacted match is replaced with unless {@link Builder#redactionToken(String)} says otherwise. */
    public static final String DEFAULT_REDACTION_TOKEN = "[REDACTED]";

    /** How an entry must sit in the text to match. */
    public enum MatchType {
        /** Anywhere, also inside a longer word. */
        SUBSTRING,
        /** Not glued to letters, digits or marks on a side where the entry itself has a word character. */
        WHOLE_WORD
    }

    private final String name;
    private final List<String> substrings;
    private final MatchType matchType;
    private final boolean caseSensitive;
    private final boolean redact;
    private final String redactionToken;
    private final boolean flagWhenSanitized;
    private final int maxEvidence;

    // Entries grouped by their first (folded) char, longest first within a group, so each text
    // position costs one binary search and then only the entries that can start there.
    private final char[] firstChars;
    private final Entry[][] byFirstChar;

    private record Entry(String configured, char[] folded, boolean wordStart, boolean wordEnd) {
    }

    private BannedSubstringsScanner(Builder b) {
        this.name = b.name;
        this.matchType = b.matchType;
        this.caseSensitive = b.caseSensitive;
        this.redact = b.redact;
        this.redactionToken = b.redactionToken;
        this.flagWhenSanitized = b.flagWhenSanitized;
        this.maxEvidence = b.maxEvidence;
        // Entries equal after folding would only shadow each other; the first one configured stays.
        Map<String, Entry> unique = new LinkedHashMap<>();
        for (String s : b.substrings) {
            char[] folded = fold(s, caseSensitive);
            int first = s.codePointAt(0);
            int last = s.codePointBefore(s.length());
            unique.putIfAbsent(new String(folded), new Entry(s, folded, isWordChar(first), isWordChar(last)));
        }
        this.substrings = unique.values().stream().map(Entry::configured).toList();
        Map<Character, List<Entry>> groups = new TreeMap<>();
        for (Entry e : unique.values()) {
            groups.computeIfAbsent(e.folded()[0], k -> new ArrayList<>()).add(e);
        }
        this.firstChars = new char[groups.size()];
        this.byFirstChar = new Entry[groups.size()][];
        int i = 0;
        for (Map.Entry<Character, List<Entry>> g : groups.entrySet()) {
            List<Entry> entries = g.getValue();
            entries.sort(Comparator.comparingInt((Entry e) -> e.folded().length).reversed());
            firstChars[i] = g.getKey();
            byFirstChar[i] = entries.toArray(new Entry[0]);
            i++;
        }
    }

    /** A builder; {@link Builder#substrings} must be called before {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /** True when matches are redacted, i.e. this scanner may rewrite text. */
    @Override
    public boolean isSanitizer() {
        return redact;
    }

    /** The entries, as configured, without duplicates (entries equal after case folding count once). */
    public List<String> substrings() {
        return substrings;
    }

    public MatchType matchType() {
        return matchType;
    }

    public boolean caseSensitive() {
        return caseSensitive;
    }

    public String redactionToken() {
        return redactionToken;
    }

    @Override
    public ScanResult scan(ScanInput input) {
        Objects.requireNonNull(input, "input");
        long start = System.nanoTime();
        try {
            String text = input.text();
            List<RuleMatch> matches = find(text);
            ScanResult.Builder r = ScanResult.builder(name, input.stage());
            if (matches.isEmpty()) {
                return r.decision(Decision.PASSED).attribute("matches", "0").latency(RuleResults.since(start)).build();
            }
            String sanitized = redact ? RuleResults.changed(text, Redaction.apply(text, matches, m -> redactionToken)) : null;
            boolean flagged = sanitized == null || flagWhenSanitized;
            r.decision(flagged ? Decision.FLAGGED : Decision.PASSED).label(matches.get(0).label()).sanitizedText(sanitized);
            RuleResults.evidence(r, matches, maxEvidence);
            return r.latency(RuleResults.since(start)).build();
        } catch (RuntimeException e) {
            // The scanner contract is a result, never a throw.
            return ScanResult.error(name, input.stage(), e, RuleResults.since(start));
        }
    }

    private List<RuleMatch> find(String text) {
        List<RuleMatch> matches = new ArrayList<>();
        if (text.isEmpty()) {
            return matches;
        }
        char[] folded = fold(text, caseSensitive);
        int n = folded.length;
        int i = 0;
        while (i < n) {
            int group = Arrays.binarySearch(firstChars, folded[i]);
            Entry hit = null;
            // Entries are valid UTF-16 and folding keeps every char's surrogate kind, so a match can
            // neither start nor end inside a surrogate pair of the text.
            if (group >= 0) {
                for (Entry e : byFirstChar[group]) {
                    if (matchesAt(folded, i, e) && boundariesHold(text, i, i + e.folded().length, e)) {
                        hit = e;
                        break;
                    }
                }
            }
            if (hit == null) {
                i++;
            } else {
                int end = i + hit.folded().length;
                matches.add(new RuleMatch(i, end, hit.configured(), null));
                i = end;
            }
        }
        return matches;
    }

    private static boolean matchesAt(char[] text, int at, Entry e) {
        char[] s = e.folded();
        if (at + s.length > text.length) {
            return false;
        }
        for (int k = 1; k < s.length; k++) {
            if (text[at + k] != s[k]) {
                return false;
            }
        }
        return true;
    }

    private boolean boundariesHold(String text, int start, int end, Entry e) {
        if (matchType == MatchType.SUBSTRING) {
            return true;
        }
        if (e.wordStart() && start > 0 && isWordChar(text.codePointBefore(start))) {
            return false;
        }
        return !(e.wordEnd() && end < text.length() && isWordChar(text.codePointAt(end)));
    }

    /** Letters, digits, combining marks and connector punctuation ({@code _}), in any script. */
    static boolean isWordChar(int cp) {
        if (Character.isLetterOrDigit(cp)) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                || type == Character.ENCLOSING_MARK || type == Character.CONNECTOR_PUNCTUATION
                || type == Character.LETTER_NUMBER;
    }

    /**
     * The text with each code point case-folded, or as it is when {@code caseSensitive}. A code
     * point whose folding would change its UTF-16 length is kept as it is, so index i of the
     * result is index i of the text. Lone surrogates pass through unchanged.
     */
    static char[] fold(String text, boolean caseSensitive) {
        char[] out = text.toCharArray();
        if (caseSensitive) {
            return out;
        }
        int i = 0;
        while (i < out.length) {
            int cp = Character.codePointAt(out, i);
            int width = Character.charCount(cp);
            int f = Character.toLowerCase(Character.toUpperCase(cp));
            if (f != cp && Character.charCount(f) == width) {
                Character.toChars(f, out, i);
            }
            i += width;
        }
        return out;
    }

    @Override
    public String toString() {
        return "BannedSubstringsScanner{" + name + ", " + substrings.size() + " substrings, " + matchType
                + (caseSensitive ? ", case-sensitive" : "") + (redact ? ", redact" : "") + '}';
    }

    /** Settings for a {@link BannedSubstringsScanner}; each setter validates at once. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private List<String> substrings = List.of();
        private MatchType matchType = MatchType.SUBSTRING;
        private boolean caseSensitive;
        private boolean redact;
        private String redactionToken = DEFAULT_REDACTION_TOKEN;
        private boolean flagWhenSanitized = true;
        private int maxEvidence = RuleResults.DEFAULT_MAX_EVIDENCE;

        private Builder() {
        }

        /** The scanner's name in results (default {@value BannedSubstringsScanner#DEFAULT_NAME}). */
        public Builder name(String name) {
            this.name = RuleResults.name(name);
            return this;
        }

        /** The banned entries, replacing any set before; each non-empty and valid UTF-16. */
        public Builder substrings(String... substrings) {
            Objects.requireNonNull(substrings, "substrings");
            return substrings(Arrays.asList(substrings));
        }

        /** The banned entries, replacing any set before; each non-empty and valid UTF-16. */
        public Builder substrings(Collection<String> substrings) {
            Objects.requireNonNull(substrings, "substrings");
            List<String> copy = new ArrayList<>(substrings.size());
            int i = 0;
            for (String s : substrings) {
                int index = i++;
                Objects.requireNonNull(s, () -> "substrings[" + index + "]");
                if (s.isEmpty()) {
                    throw new IllegalArgumentException("substrings[" + index + "] is empty; an empty entry would match everywhere");
                }
                int lone = loneSurrogateAt(s);
                if (lone >= 0) {
                    throw new IllegalArgumentException("substrings[" + index + "] has a lone surrogate at index " + lone
                            + "; entries must be valid UTF-16");
                }
                copy.add(s);
            }
            if (copy.isEmpty()) {
                throw new IllegalArgumentException("substrings needs at least one entry");
            }
            this.substrings = List.copyOf(copy);
            return this;
        }

        /** {@link MatchType#SUBSTRING} (default) or {@link MatchType#WHOLE_WORD}. */
        public Builder matchType(MatchType matchType) {
            this.matchType = Objects.requireNonNull(matchType, "matchType");
            return this;
        }

        /** Whether case must match exactly (default false: locale-independent case folding). */
        public Builder caseSensitive(boolean caseSensitive) {
            this.caseSensitive = caseSensitive;
            return this;
        }

        /** Whether matches are replaced by the redaction token, which makes the scanner a sanitizer (default false). */
        public Builder redact(boolean redact) {
            this.redact = redact;
            return this;
        }

        /** What each redacted match becomes (default {@value BannedSubstringsScanner#DEFAULT_REDACTION_TOKEN}); empty deletes it. */
        public Builder redactionToken(String redactionToken) {
            this.redactionToken = RuleResults.redactionToken(redactionToken);
            return this;
        }

        /**
         * Whether a text this scanner redacted is still {@link Decision#FLAGGED} (default true, so
         * the guard blocks); false lets the redacted text through as {@link Decision#PASSED} with
         * its evidence.
         */
        public Builder flagWhenSanitized(boolean flagWhenSanitized) {
            this.flagWhenSanitized = flagWhenSanitized;
            return this;
        }

        /** The most evidence entries one result lists (default 1000); the {@code matches} attribute counts all. */
        public Builder maxEvidence(int maxEvidence) {
            this.maxEvidence = RuleResults.maxEvidence(maxEvidence);
            return this;
        }

        /** @throws IllegalStateException if no substrings were given */
        public BannedSubstringsScanner build() {
            if (substrings.isEmpty()) {
                throw new IllegalStateException("substrings must be set: BannedSubstringsScanner.builder().substrings(...)");
            }
            return new BannedSubstringsScanner(this);
        }

        private static int loneSurrogateAt(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    return i;
                }
            }
            return -1;
        }
    }
}
