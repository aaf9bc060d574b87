package dev.parapet.scanners;

import dev.parapet.core.Evidence;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;

import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Undoes the cheap tricks that hide a word from a model while a human still reads it: look-alike
 * letters from other scripts, invisible characters inside words, l33t digits, s p a c e d letters
 * and stretched letters ("stuuupid"). A model scanner that reads the normalised text keeps most of
 * its recall on such text (docs/reliability.md has the measured table).
 *
 * <p>Two ways to put it in front of a model, with the same text reaching the model either way:
 * <pre>{@code
 * // 1. Judge the normalised text, leave the caller's text alone (recommended):
 * Scanner toxicity = TextNormalizer.builder().build().wrap(models.toxicityScanner().build());
 *
 * // 2. As a sanitizer: every later scanner, and the verdict's sanitized text, get the normalised text.
 * Guard.builder().inputScanner(TextNormalizer.builder().build()).inputScanner(toxicity)...
 * }</pre>
 * The first keeps the prompt that goes to the LLM exactly as the user wrote it, and maps each
 * evidence span back to UTF-16 offsets into the caller's string. The second rewrites the text the
 * LLM receives, which is only right where that is wanted: l33t folding turns "mp4s" into "mpas"
 * and de-spacing glues "a b c" together.
 *
 * <h2>The folds, in the order they run ({@link Fold})</h2>
 * <ol>
 *   <li>{@link Fold#INVISIBLE}: drops format characters (general category Cf: zero-width space,
 *       joiners, word joiner, BOM, bidi controls, soft hyphen, tag characters), control
 *       characters other than tab and line breaks, lone surrogates, and blank-looking fillers
 *       (Hangul fillers U+115F U+1160 U+3164 U+FFA0, braille blank U+2800). A U+200D between two
 *       symbols is kept so emoji ZWJ sequences stay whole.</li>
 *   <li>{@link Fold#NFKC}: Unicode compatibility composition, one base character and its marks at
 *       a time: fullwidth, mathematical and circled letters become plain ones, ligatures split.</li>
 *   <li>{@link Fold#MARKS}: combining marks left over after composition (zalgo text, a flood of
 *       accents) are dropped after a Latin letter, after anything that is not a letter, and beyond
 *       the third after a letter of another script. "café" and "Müller" keep their accents.</li>
 *   <li>{@link Fold#CONFUSABLES}: Cyrillic, Greek and Armenian letters that look like Latin ones,
 *       and Latin small capitals, become the Latin letter, in any word that also has a Latin
 *       letter, and in words made only of look-alikes unless the text has letters of those scripts
 *       that look like nothing Latin (real Russian or Greek is left alone).</li>
 *   <li>{@link Fold#LEET}: 0→o 1→i 3→e 4→a 5→s 7→t 8→b 9→g @→a $→s !→i |→l. In ordinary text
 *       only words that are clearly l33t are folded ("1d10t", "sh!t"); ordinals, decades and units ("2nd",
 *       "90s", "4k", "10kg"), codes ("mp3", "gpt4", "covid19", "a3bfb1", "WWG1WGA"), names with a
 *       trailing digit ("Bill5"), hashtags with a number ("StandUp4Brexit"), a leading {@code @}
 *       (mentions), a trailing {@code !} or {@code |}, and words of an e-mail address or domain are
 *       left alone. Once a fifth of a text's words (and at least two) are l33t, the whole text is
 *       read as l33t: every such word is folded, and so are all-digit words of up to three chars
 *       ("70 83" → "to be").</li>
 *   <li>{@link Fold#SPACED_LETTERS}: three or more single letters separated by the same single
 *       space, dot, hyphen, underscore or asterisk ("f u c k", "s.t.u.p.i.d") are joined. With a
 *       {@link Builder#vocabulary vocabulary} the joined letters are split into the fewest known
 *       words ("t h i s t i m e" → "this time", "a l o s e r" → "a loser"); without one, a
 *       one-letter word next to them is joined too.</li>
 *   <li>{@link Fold#REPEATS}: three or more of the same letter become one ("stuuupid",
 *       "fuuuck"), unless the whole word is that letter ("www", "zzz", "III") or it is a capital
 *       run after a lower-case letter ("...villeKKK"). English has no tripled letters, so plain text
 *       is untouched. With a vocabulary, a run keeps two letters where that makes a known word
 *       ("suppppport" → "support"); without one, "coooool" becomes "col".</li>
 * </ol>
 *
 * <h2>As a scanner</h2>
 * A sanitizer: the result is {@code PASSED} (normalising is not a finding) with the normalised
 * text as {@link ScanResult#sanitizedText()} when anything changed, and attributes
 * {@code changed} ({@code true}/{@code false}) and {@code folds} (e.g.
 * {@code "confusables=4, leet=2"}). Immutable, thread-safe, linear in the text's length.
 */
public final class TextNormalizer implements Scanner {
    /** The default {@link #name()}. */
    public static final String DEFAULT_NAME = "text-normalizer";

    /** One kind of folding; see the class comment for each. */
    public enum Fold {
        INVISIBLE, NFKC, MARKS, CONFUSABLES, LEET, SPACED_LETTERS, REPEATS;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final String name;
    private final Set<Fold> folds;
    private final Set<String> vocabulary;

    private TextNormalizer(Builder b) {
        this.name = b.name;
        this.folds = Set.copyOf(b.folds.isEmpty() ? EnumSet.noneOf(Fold.class) : EnumSet.copyOf(b.folds));
        this.vocabulary = b.vocabulary;
    }

    /** A builder with every fold on. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /** The folds this normaliser applies. */
    public Set<Fold> folds() {
        return folds;
    }

    @Override
    public boolean isSanitizer() {
        return true;
    }

    @Override
    public ScanResult scan(ScanInput input) {
        Objects.requireNonNull(input, "input");
        long start = System.nanoTime();
        Normalized n = normalize(input.text());
        ScanResult.Builder r = ScanResult.builder(name, input.stage())
                .attribute("changed", Boolean.toString(n.changed()))
                .attribute("folds", n.describeCounts());
        if (n.changed()) {
            r.sanitizedText(n.text());
        }
        return r.latency(Duration.ofNanos(System.nanoTime() - start)).build();
    }

    /**
     * A detector that judges the normalised text but leaves the caller's text alone: it hands
     * {@code detector} the normalised prompt (and output), and maps each evidence span of the
     * judged text back to offsets into the original. The result keeps {@code detector}'s name and
     * gains the attribute {@code normalized=true} when the text it judged differed from the
     * original. Closing the returned scanner closes {@code detector}.
     *
     * @throws IllegalArgumentException if {@code detector} is a sanitizer: its rewrite of the
     *                                  normalised text could not be mapped back
     */
    public Scanner wrap(Scanner detector) {
        Objects.requireNonNull(detector, "detector");
        if (detector.isSanitizer()) {
            throw new IllegalArgumentException("TextNormalizer.wrap takes a detector; '" + detector.name()
                    + "' is a sanitizer, put the TextNormalizer before it as a sanitizer instead");
        }
        return new Normalizing(this, detector);
    }

    /** The normalised text with a map back to the original; see {@link Normalized}. */
    public Normalized normalize(String text) {
        Objects.requireNonNull(text, "text");
        Map<Fold, Integer> counts = new EnumMap<>(Fold.class);
        Mapped m = Mapped.identity(text);
        if (folds.contains(Fold.INVISIBLE)) {
            m = invisible(m, counts);
        }
        if (folds.contains(Fold.NFKC) || folds.contains(Fold.MARKS)) {
            m = composeAndMarks(m, counts, folds.contains(Fold.NFKC), folds.contains(Fold.MARKS));
        }
        if (folds.contains(Fold.CONFUSABLES)) {
            m = confusables(m, counts);
        }
        if (folds.contains(Fold.LEET)) {
            m = leet(m, counts);
        }
        if (folds.contains(Fold.SPACED_LETTERS)) {
            m = spacedLetters(m, counts, vocabulary);
        }
        if (folds.contains(Fold.REPEATS)) {
            m = repeats(m, counts, vocabulary);
        }
        return new Normalized(text, m.text(), m.starts(), m.ends(), counts);
    }

    /**
     * The whole words of a WordPiece {@code tokenizer.json} (entries of {@code model.vocab} made of
     * two or more ASCII letters, plus "a" and "i"), for {@link Builder#vocabulary}. {@code name}
     * names the file in errors.
     */
    public static Set<String> wordsOfTokenizer(java.io.InputStream tokenizerJson, String name) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        try (java.io.Reader r = new java.io.InputStreamReader(tokenizerJson, java.nio.charset.StandardCharsets.UTF_8)) {
            com.google.gson.JsonObject model = com.google.gson.JsonParser.parseReader(r).getAsJsonObject().getAsJsonObject("model");
            if (model == null || !model.has("vocab") || !model.get("vocab").isJsonObject()) {
                throw new IllegalArgumentException(name + ": no model.vocab object; expected a WordPiece tokenizer.json");
            }
            java.util.HashSet<String> words = new java.util.HashSet<>();
            for (String w : model.getAsJsonObject("vocab").keySet()) {
                if (w.length() >= 2 && w.chars().allMatch(ch -> ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z')) {
                    words.add(w.toLowerCase(Locale.ROOT));
                }
            }
            words.add("a");
            words.add("i");
            return Set.copyOf(words);
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot read the vocabulary of " + name + ": " + e.getMessage(), e);
        }
    }

    /** Convenience: {@code normalize(text).text()}. */
    public String apply(String text) {
        return normalize(text).text();
    }

    @Override
    public String toString() {
        return "TextNormalizer{" + name + ", folds=" + folds + '}';
    }

    // ---------------------------------------------------------------------------------------------
    // The normalised text and its map

    /**
     * A normalised text and, for each of its UTF-16 chars, the span of the original text it came
     * from, so offsets into the normalised text can be reported against the original.
     */
    public static final class Normalized {
        private final String original;
        private final String text;
        private final int[] starts;
        private final int[] ends;
        private final Map<Fold, Integer> counts;

        Normalized(String original, String text, int[] starts, int[] ends, Map<Fold, Integer> counts) {
            this.original = original;
            this.text = text;
            this.starts = starts;
            this.ends = ends;
            this.counts = Map.copyOf(counts);
        }

        public String original() {
            return original;
        }

        public String text() {
            return text;
        }

        /** True when the normalised text differs from the original. */
        public boolean changed() {
            return !text.equals(original);
        }

        /** How many changes each fold made (folds that changed nothing are absent). */
        public Map<Fold, Integer> counts() {
            return counts;
        }

        /** The original span [start, end) that normalised chars [start, end) came from, as {@code {start, end}}. */
        public int[] originalSpan(int start, int end) {
            if (start < 0 || end < start || end > text.length()) {
                throw new IndexOutOfBoundsException("span [" + start + ", " + end + ") of a " + text.length() + "-char text");
            }
            if (text.isEmpty()) {
                return new int[]{0, original.length()};
            }
            if (start == end) {
                int at = start < text.length() ? starts[start] : original.length();
                return new int[]{at, at};
            }
            int s = starts[start];
            int e = ends[end - 1];
            for (int i = start; i < end; i++) {
                s = Math.min(s, starts[i]);
                e = Math.max(e, ends[i]);
            }
            return new int[]{s, e};
        }

        /** {@code evidence} with its span moved from the normalised text onto the original. */
        public Evidence toOriginal(Evidence evidence) {
            int end = Math.min(evidence.end(), text.length());
            int start = Math.min(evidence.start(), end);
            int[] span = originalSpan(start, end);
            return new Evidence(span[0], span[1], evidence.label(), evidence.score(), evidence.detail());
        }

        String describeCounts() {
            StringBuilder sb = new StringBuilder();
            for (Fold f : Fold.values()) {
                Integer c = counts.get(f);
                if (c != null && c > 0) {
                    if (sb.length() > 0) {
                        sb.append(", ");
                    }
                    sb.append(f.label()).append('=').append(c);
                }
            }
            return sb.toString();
        }
    }

    /** A text under construction, each char carrying the original span it came from. */
    private static final class Mapped {
        private final StringBuilder sb;
        private int[] starts;
        private int[] ends;

        Mapped(int capacity) {
            this.sb = new StringBuilder(capacity);
            this.starts = new int[Math.max(16, capacity)];
            this.ends = new int[Math.max(16, capacity)];
        }

        static Mapped identity(String text) {
            Mapped m = new Mapped(text.length());
            m.sb.append(text);
            for (int i = 0; i < text.length(); i++) {
                m.starts[i] = i;
                m.ends[i] = i + 1;
            }
            return m;
        }

        int length() {
            return sb.length();
        }

        char charAt(int i) {
            return sb.charAt(i);
        }

        String text() {
            return sb.toString();
        }

        int[] starts() {
            return Arrays.copyOf(starts, sb.length());
        }

        int[] ends() {
            return Arrays.copyOf(ends, sb.length());
        }

        /** Appends {@code s}, every char of it coming from original span [start, end). */
        void append(CharSequence s, int start, int end) {
            for (int i = 0; i < s.length(); i++) {
                append(s.charAt(i), start, end);
            }
        }

        void append(char c, int start, int end) {
            int n = sb.length();
            if (n == starts.length) {
                int grown = Math.max(16, n + (n >> 1));
                starts = Arrays.copyOf(starts, grown);
                ends = Arrays.copyOf(ends, grown);
            }
            sb.append(c);
            starts[n] = start;
            ends[n] = end;
        }

        /** Appends this text's chars [from, to) to {@code out} with their spans. */
        void copyInto(Mapped out, int from, int to) {
            out.copy(this, from, to);
        }

        /** Appends {@code src}'s chars [from, to) with their spans. */
        void copy(Mapped src, int from, int to) {
            for (int i = from; i < to; i++) {
                append(src.sb.charAt(i), src.starts[i], src.ends[i]);
            }
        }

        /** Appends {@code s} standing for {@code src}'s chars [from, to). */
        void replace(Mapped src, int from, int to, CharSequence s) {
            int start = src.starts[from];
            int end = src.ends[to - 1];
            for (int i = from; i < to; i++) {
                start = Math.min(start, src.starts[i]);
                end = Math.max(end, src.ends[i]);
            }
            append(s, start, end);
        }
    }

    private static void count(Map<Fold, Integer> counts, Fold fold, int n) {
        if (n > 0) {
            counts.merge(fold, n, Integer::sum);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // INVISIBLE

    private static Mapped invisible(Mapped in, Map<Fold, Integer> counts) {
        Mapped out = new Mapped(in.length());
        int dropped = 0;
        int n = in.length();
        int prevCp = -1;
        for (int i = 0; i < n; ) {
            char c = in.charAt(i);
            int cp;
            int len;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(in.charAt(i + 1))) {
                cp = Character.toCodePoint(c, in.charAt(i + 1));
                len = 2;
            } else {
                cp = c;
                len = 1;
            }
            if (isInvisible(cp, len) && !(cp == 0x200D && isEmojiSide(prevCp) && i + 1 < n && isEmojiSide(in.sb.codePointAt(i + 1)))) {
                dropped++;
            } else {
                in.copyInto(out, i, i + len);
                prevCp = cp;
            }
            i += len;
        }
        count(counts, Fold.INVISIBLE, dropped);
        return dropped == 0 ? in : out;
    }

    private static boolean isInvisible(int cp, int len) {
        if (len == 1 && Character.isSurrogate((char) cp)) {
            return true; // a lone surrogate
        }
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int type = Character.getType(cp);
        if (type == Character.CONTROL || type == Character.FORMAT) {
            return true;
        }
        return cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0 || cp == 0x2800;
    }

    private static boolean isEmojiSide(int cp) {
        if (cp < 0) {
            return false;
        }
        int type = Character.getType(cp);
        return type == Character.OTHER_SYMBOL || type == Character.MODIFIER_SYMBOL || cp == 0xFE0F
                || (cp >= 0x1F3FB && cp <= 0x1F3FF);
    }

    // ---------------------------------------------------------------------------------------------
    // NFKC and MARKS

    private static Mapped composeAndMarks(Mapped in, Map<Fold, Integer> counts, boolean nfkc, boolean marks) {
        Mapped out = new Mapped(in.length());
        int n = in.length();
        int composed = 0;
        int droppedMarks = 0;
        StringBuilder cluster = new StringBuilder();
        for (int i = 0; i < n; ) {
            // a cluster: one base code point (or none, at a stray mark) and the combining marks after it
            int end = i;
            int baseLen = 0;
            int first = in.sb.codePointAt(i);
            if (!isMark(first)) {
                baseLen = Character.charCount(first);
                end = i + baseLen;
            }
            while (end < n && isMark(in.sb.codePointAt(end))) {
                end += Character.charCount(in.sb.codePointAt(end));
            }
            if (end - i == 1 && in.charAt(i) < 0x80) {
                in.copyInto(out, i, end); // ASCII: nothing to compose, no marks
                i = end;
                continue;
            }
            cluster.setLength(0);
            cluster.append(in.sb, i, end);
            String c = cluster.toString();
            String folded = c;
            if (marks && baseLen > 0 && end - i > baseLen && Character.UnicodeScript.of(first) == Character.UnicodeScript.LATIN) {
                String decomposed = Normalizer.normalize(c, Normalizer.Form.NFD);
                int baseCp = decomposed.codePointAt(0);
                int markCount = decomposed.codePointCount(0, decomposed.length()) - 1;
                if (markCount > 2 && !isMark(baseCp)) {
                    // more marks than any Latin letter carries (Vietnamese has two): a flood, keep the bare letter
                    droppedMarks += markCount;
                    c = new String(Character.toChars(baseCp));
                    folded = c;
                }
            }
            if (nfkc && !Normalizer.isNormalized(c, Normalizer.Form.NFKC)) {
                folded = Normalizer.normalize(c, Normalizer.Form.NFKC);
                if (!folded.equals(Normalizer.normalize(c, Normalizer.Form.NFC))) {
                    composed++;
                }
            }
            if (marks) {
                String kept = dropMarks(folded, baseLen > 0);
                droppedMarks += folded.codePointCount(0, folded.length()) - kept.codePointCount(0, kept.length());
                folded = kept;
            }
            if (folded.equals(cluster.toString())) {
                in.copyInto(out, i, end);
            } else if (folded.length() == end - i) {
                // one-to-one where the lengths allow it, so spans stay tight
                for (int k = 0; k < folded.length(); k++) {
                    out.append(folded.charAt(k), in.starts[i + k], in.ends[i + k]);
                }
            } else if (!folded.isEmpty()) {
                out.replace(in, i, end, folded);
            }
            i = end;
        }
        count(counts, Fold.NFKC, composed);
        count(counts, Fold.MARKS, droppedMarks);
        return out;
    }

    private static boolean isMark(int cp) {
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK || t == Character.COMBINING_SPACING_MARK;
    }

    /** Drops the marks of a composed cluster that no letter of its script would carry. */
    private static String dropMarks(String cluster, boolean hasBase) {
        int firstMark = -1;
        for (int k = 0; k < cluster.length(); ) {
            int cp = cluster.codePointAt(k);
            if (isMark(cp)) {
                firstMark = k;
                break;
            }
            k += Character.charCount(cp);
        }
        if (firstMark < 0) {
            return cluster;
        }
        int base = hasBase ? cluster.codePointAt(0) : -1;
        boolean emoji = base >= 0 && (isEmojiSide(base) || (base < 0x80 && (Character.isDigit(base) || base == '#' || base == '*')));
        boolean otherScriptLetter = base >= 0 && Character.isLetter(base)
                && Character.UnicodeScript.of(base) != Character.UnicodeScript.LATIN;
        StringBuilder sb = new StringBuilder(cluster.length());
        int keptMarks = 0;
        for (int k = 0; k < cluster.length(); ) {
            int cp = cluster.codePointAt(k);
            k += Character.charCount(cp);
            if (!isMark(cp)) {
                sb.appendCodePoint(cp);
                continue;
            }
            boolean variationSelector = (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
            if (emoji && (variationSelector || cp == 0x20E3) && keptMarks < 2) {
                sb.appendCodePoint(cp);
                keptMarks++;
            } else if (otherScriptLetter && !variationSelector && keptMarks < 3) {
                sb.appendCodePoint(cp);
                keptMarks++;
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // CONFUSABLES

    /** Look-alike → Latin. Lower and upper case; what a reader cannot tell apart in common fonts. */
    private static final Map<Integer, Character> CONFUSABLE = confusableTable();

    private static Map<Integer, Character> confusableTable() {
        String[] pairs = {
                // Cyrillic lower case
                "аa", "вb", "сc", "ԁd", "еe", "ҽe", "һh", "іi", "ӏl", "јj", "кk", "мm", "нh", "оo", "рp", "ԛq", "ѕs",
                "тt", "уy", "ԝw", "хx", "ьb", "үy", "ɡg",
                // Cyrillic upper case
                "АA", "ВB", "СC", "ЕE", "НH", "ІI", "ЈJ", "КK", "МM", "ОO", "РP", "ЅS", "ТT", "УY", "ХX", "ԜW", "ԚQ", "ҮY",
                "ӀI", "ԌG", "ԀD", "ꓚC",
                // Greek lower case
                "αa", "βb", "εe", "ηn", "ιi", "κk", "νv", "οo", "ρp", "τt", "υu", "χx", "γy", "ωw", "ϲc", "ςc", "ϳj", "ϱp",
                // Greek upper case
                "ΑA", "ΒB", "ΕE", "ΖZ", "ΗH", "ΙI", "ΚK", "ΜM", "ΝN", "ΟO", "ΡP", "ΤT", "ΥY", "ΧX", "ϹC", "ϺM",
                // Armenian
                "օo", "սu", "հh", "ոn", "ցg", "զq", "ԁd", "ɑa",
                // Latin small capitals and other Latin look-alikes NFKC leaves alone
                "ᴀa", "ʙb", "ᴄc", "ᴅd", "ᴇe", "ꜰf", "ɢg", "ʜh", "ɪi", "ᴊj", "ᴋk", "ʟl", "ᴍm", "ɴn", "ᴏo", "ᴘp", "ʀr",
                "ꜱs", "ᴛt", "ᴜu", "ᴠv", "ᴡw", "ʏy", "ᴢz", "ıi", "ȷj", "ɩi", "ʋu", "ɒa", "ǝe", "ɛe",
        };
        Map<Integer, Character> m = new java.util.HashMap<>();
        for (String p : pairs) {
            int cp = p.codePointAt(0);
            char latin = p.charAt(Character.charCount(cp));
            m.put(cp, latin);
        }
        return Map.copyOf(m);
    }

    private static boolean isLatinLetter(int cp) {
        return Character.isLetter(cp) && Character.UnicodeScript.of(cp) == Character.UnicodeScript.LATIN
                && !CONFUSABLE.containsKey(cp);
    }

    private static Mapped confusables(Mapped in, Map<Fold, Integer> counts) {
        int n = in.length();
        // Is there real text in a look-alike script: a word with no Latin letter that has a Cyrillic,
        // Greek or Armenian letter with no Latin twin ("сказал")? Then its all-look-alike words are real too.
        boolean foreignText = false;
        boolean anyConfusable = false;
        for (int i = 0; i < n; ) {
            int cp = in.sb.codePointAt(i);
            if (!Character.isLetter(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            boolean latin = false;
            boolean foreign = false;
            while (i < n) {
                int c = in.sb.codePointAt(i);
                if (!Character.isLetter(c) && !isMark(c)) {
                    break;
                }
                if (CONFUSABLE.containsKey(c)) {
                    anyConfusable = true;
                } else if (isLatinLetter(c)) {
                    latin = true;
                } else if (Character.isLetter(c)) {
                    Character.UnicodeScript sc = Character.UnicodeScript.of(c);
                    foreign |= sc == Character.UnicodeScript.CYRILLIC || sc == Character.UnicodeScript.GREEK
                            || sc == Character.UnicodeScript.ARMENIAN;
                }
                i += Character.charCount(c);
            }
            foreignText |= foreign && !latin;
        }
        if (!anyConfusable) {
            return in;
        }
        Mapped out = new Mapped(n);
        int folded = 0;
        for (int i = 0; i < n; ) {
            int cp = in.sb.codePointAt(i);
            if (!Character.isLetter(cp) && !Character.isDigit(cp)) {
                in.copyInto(out, i, i + Character.charCount(cp));
                i += Character.charCount(cp);
                continue;
            }
            int end = i;
            boolean latin = false;
            boolean allConfusable = true;
            while (end < n) {
                int c = in.sb.codePointAt(end);
                if (!Character.isLetter(c) && !Character.isDigit(c) && !isMark(c)) {
                    break;
                }
                if (Character.isLetter(c)) {
                    if (isLatinLetter(c)) {
                        latin = true;
                    } else if (!CONFUSABLE.containsKey(c)) {
                        allConfusable = false;
                    }
                }
                end += Character.charCount(c);
            }
            boolean fold = latin || (allConfusable && !foreignText);
            for (int k = i; k < end; ) {
                int c = in.sb.codePointAt(k);
                int len = Character.charCount(c);
                Character latinTwin = fold ? CONFUSABLE.get(c) : null;
                if (latinTwin != null) {
                    out.replace(in, k, k + len, String.valueOf(latinTwin));
                    folded++;
                } else {
                    in.copyInto(out, k, k + len);
                }
                k += len;
            }
            i = end;
        }
        count(counts, Fold.CONFUSABLES, folded);
        return folded == 0 ? in : out;
    }

    // ---------------------------------------------------------------------------------------------
    // LEET

    private static final Pattern NUMBER_WITH_UNIT = Pattern.compile(
            "\\d+(?:st|nd|rd|th|s|k|m|b|x|d|h|p|g|am|pm|px|pt|em|rem|vh|vw|dpi|kg|km|mb|gb|tb|ms|mm|cm|ml|hz|khz|mhz|ghz|fps|yo|yr|yrs|mph|kph|min|mins|sec|secs|hr|hrs|v|w|kw|kwh)|\\d+x\\d+",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern HEX = Pattern.compile("(?i)[0-9a-f]{6}|[0-9a-f]{8}");
    private static final Pattern ORDINAL_OR_DECADE = Pattern.compile("\\d(?:st|nd|rd|th|s)(?:$|\\p{Lu})|\\d0s");
    private static final Pattern CAMEL_NUMBER = Pattern.compile("\\p{Ll}\\d+\\p{Lu}");
    private static final Pattern CODE_LIKE = Pattern.compile("\\p{L}{1,3}\\d+|\\p{L}+\\d{2,}");

    private static char leetLetter(char c) {
        return switch (c) {
            case '0' -> 'o';
            case '1' -> 'i';
            case '3' -> 'e';
            case '4' -> 'a';
            case '5' -> 's';
            case '7' -> 't';
            case '8' -> 'b';
            case '9' -> 'g';
            case '@' -> 'a';
            case '$' -> 's';
            case '!' -> 'i';
            case '|' -> 'l';
            default -> 0;
        };
    }

    private static boolean isLeetSymbol(char c) {
        return c == '@' || c == '$' || c == '!' || c == '|';
    }

    private static boolean isTokenChar(char c) {
        return Character.isLetterOrDigit(c) || isLeetSymbol(c);
    }

    private static Mapped leet(Mapped in, Map<Fold, Integer> counts) {
        int n = in.length();
        List<int[]> tokens = new ArrayList<>();
        for (int i = 0; i < n; ) {
            if (!isTokenChar(in.charAt(i))) {
                i++;
                continue;
            }
            int end = i;
            while (end < n && isTokenChar(in.charAt(end))) {
                end++;
            }
            tokens.add(new int[]{i, end});
            i = end;
        }
        boolean leetText = isLeetText(in, tokens);
        Mapped out = null;
        int folded = 0;
        int copiedTo = 0;
        for (int[] t : tokens) {
            int start = t[0];
            int end = t[1];
            // trailing ! and | are punctuation ("idiot!!")
            int s = start;
            int e = end;
            while (e > s && (in.charAt(e - 1) == '!' || in.charAt(e - 1) == '|')) {
                e--;
            }
            // a leading @ is a mention, and a run of ! before a word is punctuation, unless the whole text is l33t
            boolean mention = s < e && in.charAt(s) == '@' && !(leetText && e > s + 1 && Character.isLowerCase(in.charAt(s + 1)));
            if (mention) {
                s++;
            }
            while (s < e - 1 && in.charAt(s) == '!' && (!leetText || in.charAt(s + 1) == '!')) {
                s++;
            }
            boolean fold = leetText ? leetTextToken(in, s, e, start, end, n) : e - s >= 2 && shouldFoldLeet(in, s, e, start, end, n);
            if (!fold) {
                continue;
            }
            boolean upper = allLettersUpper(in, s, e);
            if (out == null) {
                out = new Mapped(n);
            }
            out.copy(in, copiedTo, s);
            for (int k = s; k < e; k++) {
                char c = in.charAt(k);
                char l = leetLetter(c);
                boolean symbolAtEnd = isLeetSymbol(c) && k == e - 1 && k > s
                        && !(c == '$' && (in.charAt(k - 1) == '$' || Character.isLowerCase(in.charAt(k - 1))));
                if (l != 0 && !symbolAtEnd && (leetText || !isLeetSymbol(c) || symbolIsLetter(in, k, s, e))) {
                    out.append(upper ? Character.toUpperCase(l) : l, in.starts[k], in.ends[k]);
                    folded++;
                } else {
                    out.append(c, in.starts[k], in.ends[k]);
                }
            }
            copiedTo = e;
        }
        if (out == null) {
            return in;
        }
        out.copy(in, copiedTo, n);
        count(counts, Fold.LEET, folded);
        return out;
    }

    /** Upper case only for words written in capitals ("H4T3"); "Th3" and "D3m0cr4ts" get lower-case letters. */
    private static boolean allLettersUpper(Mapped in, int s, int e) {
        int letters = 0;
        for (int k = s; k < e; k++) {
            char c = in.charAt(k);
            if (Character.isLetter(c)) {
                if (!Character.isUpperCase(c)) {
                    return false;
                }
                letters++;
            }
        }
        return letters >= 2;
    }

    /**
     * Whether the text as a whole is written in l33t: at least two words, and a fifth of the words,
     * mix letters with l33t digits or symbols. Ordinary text has few such words (hashtags with
     * numbers, "2nd", "mp3"); l33t text has them everywhere, and there even a short all-digit word
     * ("70", "15") is a word.
     */
    private static boolean isLeetText(Mapped in, List<int[]> tokens) {
        int words = 0;
        int mixed = 0;
        for (int[] t : tokens) {
            int letters = 0;
            int leet = 0;
            for (int k = t[0]; k < t[1]; k++) {
                char c = in.charAt(k);
                if (Character.isLetter(c)) {
                    letters++;
                } else if (leetLetter(c) != 0 && !(c == '@' && k == t[0]) && !(c == '!' && (k == t[0] || k == t[1] - 1))) {
                    leet++;
                }
            }
            if (letters == 0) {
                continue;
            }
            words++;
            if (leet > 0 && !NUMBER_WITH_UNIT.matcher(in.sb.substring(t[0], t[1])).matches()) {
                mixed++;
            }
        }
        return mixed >= 2 && mixed * 5 >= words;
    }

    /** In l33t text: any word with a l33t character, and all-digit words of up to three chars ("70", "15", "4"). */
    private static boolean leetTextToken(Mapped in, int s, int e, int tokenStart, int tokenEnd, int n) {
        if (e <= s) {
            return false;
        }
        int letters = 0;
        int leet = 0;
        for (int k = s; k < e; k++) {
            char c = in.charAt(k);
            if (Character.isLetter(c)) {
                letters++;
            } else if (leetLetter(c) != 0) {
                leet++;
            } else {
                return false; // a 2 or a 6: a number, not a word
            }
        }
        if (leet == 0 || (letters == 0 && e - s > 3)) {
            return false;
        }
        boolean dotAfter = tokenEnd + 1 < n && in.charAt(tokenEnd) == '.' && Character.isLetter(in.charAt(tokenEnd + 1));
        boolean dotBefore = tokenStart >= 2 && in.charAt(tokenStart - 1) == '.' && Character.isLetterOrDigit(in.charAt(tokenStart - 2));
        return !dotAfter && !dotBefore;
    }

    private static boolean shouldFoldLeet(Mapped in, int s, int e, int tokenStart, int tokenEnd, int n) {
        int letters = 0;
        int upper = 0;
        int leet = 0;
        int lastLeet = -1;
        int digitRun = 0;
        for (int k = s; k < e; k++) {
            char c = in.charAt(k);
            if (Character.isDigit(c)) {
                digitRun++;
                // a number of three or more digits, or one of two or more at either end: "1950s", "#10Years", "7E91EB04"
                if (digitRun >= 3 || (digitRun >= 2 && (k - digitRun + 1 == s || k == e - 1 || !Character.isDigit(in.charAt(k + 1)) && k + 1 == e))) {
                    return false;
                }
                if (digitRun == 2 && k - 1 == s) {
                    return false;
                }
            } else {
                digitRun = 0;
            }
            if (Character.isLetter(c)) {
                letters++;
                if (Character.isUpperCase(c)) {
                    upper++;
                }
            } else if (leetLetter(c) != 0) {
                leet++;
                lastLeet = k;
            }
        }
        if (letters == 0 || leet == 0) {
            return false;
        }
        String token = in.sb.substring(s, e);
        if (NUMBER_WITH_UNIT.matcher(token).matches() || CODE_LIKE.matcher(token).matches()) {
            return false;
        }
        if (HEX.matcher(token).matches() || ORDINAL_OR_DECADE.matcher(token).find() || CAMEL_NUMBER.matcher(token).find()) {
            return false; // "a3bfb1", "#Savethe8th", "The90s", "StandUp4Brexit"
        }
        if (leet == 1 && lastLeet == e - 1 && Character.isDigit(in.charAt(e - 1))) {
            return false; // a name or version: "Bill5", "PS4", "Some1"
        }
        if (leet == 1 && upper == letters) {
            return false; // an acronym or code: "WWG1WGA", "MS13"
        }
        if (in.charAt(s) == '$' && e > s + 1 && (Character.isUpperCase(in.charAt(s + 1)) || Character.isDigit(in.charAt(s + 1)))) {
            return false; // a ticker or an amount: "$CERC", "$5bn"
        }
        // part of an e-mail address or a domain ("k1ds.org", "john@mail.example"): not a word to read
        boolean dotAfter = tokenEnd + 1 < n && in.charAt(tokenEnd) == '.' && Character.isLetter(in.charAt(tokenEnd + 1));
        boolean dotBefore = tokenStart >= 2 && in.charAt(tokenStart - 1) == '.' && Character.isLetterOrDigit(in.charAt(tokenStart - 2));
        return !dotAfter && !dotBefore;
    }

    /** Whether the symbol at {@code k} stands for a letter: {@code @} and {@code |} only between lower-case letters. */
    private static boolean symbolIsLetter(Mapped in, int k, int s, int e) {
        char c = in.charAt(k);
        if (c == '$') {
            return true;
        }
        if (k == s || k == e - 1) {
            return false;
        }
        char before = in.charAt(k - 1);
        char after = in.charAt(k + 1);
        boolean between = (Character.isLowerCase(before) || Character.isDigit(before)) && (Character.isLowerCase(after) || Character.isDigit(after));
        if (c != '!' || !between) {
            return between;
        }
        // "sh!t", "b!tch", but not "happy!hope" (a missing space after a sentence)
        int left = 0;
        for (int j = k - 1; j >= s && Character.isLetterOrDigit(in.charAt(j)); j--) {
            left++;
        }
        int right = 0;
        for (int j = k + 1; j < e && Character.isLetterOrDigit(in.charAt(j)); j++) {
            right++;
        }
        return Math.min(left, right) <= 3;
    }

    // ---------------------------------------------------------------------------------------------
    // SPACED_LETTERS

    private static boolean isSpacer(char c) {
        return c == ' ' || c == '.' || c == '-' || c == '_' || c == '*' || c == '\u00B7';
    }

    private static boolean isWordChar(Mapped in, int i) {
        return i >= 0 && i < in.length() && Character.isLetterOrDigit(in.charAt(i));
    }

    private static boolean isLoneLetter(Mapped in, int i) {
        return i >= 0 && i < in.length() && Character.isLetter(in.charAt(i)) && !isWordChar(in, i - 1) && !isWordChar(in, i + 1);
    }

    private static Mapped spacedLetters(Mapped in, Map<Fold, Integer> counts, Set<String> vocabulary) {
        int n = in.length();
        Mapped out = null;
        int copiedTo = 0;
        int joined = 0;
        for (int i = 0; i < n; i++) {
            if (!isLoneLetter(in, i) || i + 2 >= n || !isSpacer(in.charAt(i + 1))) {
                continue;
            }
            char spacer = in.charAt(i + 1);
            int last = i;
            int letters = 1;
            while (last + 2 < n && in.charAt(last + 1) == spacer && isLoneLetter(in, last + 2)) {
                last += 2;
                letters++;
            }
            if (letters < 3) {
                continue;
            }
            if (out == null) {
                out = new Mapped(n);
            }
            out.copy(in, copiedTo, i);
            StringBuilder word = new StringBuilder(letters);
            for (int k = i; k <= last; k += 2) {
                word.append(Character.toLowerCase(in.charAt(k)));
            }
            boolean[] spaceAfter = segment(word.toString(), vocabulary);
            for (int k = i, l = 0; k <= last; k += 2, l++) {
                out.append(in.charAt(k), in.starts[k], in.ends[k]);
                if (spaceAfter[l]) {
                    out.append(' ', in.starts[k + 1], in.ends[k + 1]); // the separator that was there
                } else if (k < last) {
                    joined++;
                }
            }
            copiedTo = last + 1;
            i = last;
        }
        if (out == null) {
            return in;
        }
        out.copy(in, copiedTo, n);
        count(counts, Fold.SPACED_LETTERS, joined);
        return out;
    }

    /**
     * Where to split {@code letters} into the fewest vocabulary words ({@code true} after a word's
     * last letter); all {@code false} (one word) when there is no vocabulary or no such split.
     */
    private static boolean[] segment(String letters, Set<String> vocabulary) {
        int n = letters.length();
        boolean[] cut = new boolean[n];
        if (vocabulary.isEmpty() || vocabulary.contains(letters) || n > 256) {
            return cut;
        }
        int[] best = new int[n + 1];
        int[] from = new int[n + 1];
        java.util.Arrays.fill(best, Integer.MAX_VALUE);
        best[0] = 0;
        for (int end = 1; end <= n; end++) {
            for (int start = Math.max(0, end - 24); start < end; start++) {
                if (best[start] != Integer.MAX_VALUE && best[start] + 1 < best[end] && vocabulary.contains(letters.substring(start, end))) {
                    best[end] = best[start] + 1;
                    from[end] = start;
                }
            }
        }
        if (best[n] == Integer.MAX_VALUE) {
            return cut;
        }
        for (int end = n; end > 0; end = from[end]) {
            if (end < n) {
                cut[end - 1] = true;
            }
        }
        return cut;
    }

    // ---------------------------------------------------------------------------------------------
    // REPEATS

    private static Mapped repeats(Mapped in, Map<Fold, Integer> counts, Set<String> vocabulary) {
        int n = in.length();
        Mapped out = null;
        int copiedTo = 0;
        int removed = 0;
        for (int i = 0; i < n; ) {
            if (!Character.isLetter(in.charAt(i))) {
                i++;
                continue;
            }
            int wordEnd = i;
            while (wordEnd < n && Character.isLetter(in.charAt(wordEnd))) {
                wordEnd++;
            }
            // the stretched runs of this word: three or more of one letter, not a capital acronym after lower case
            List<int[]> runs = new ArrayList<>(2);
            for (int r = i; r < wordEnd; ) {
                char c = in.charAt(r);
                int e = r + 1;
                while (e < wordEnd && in.charAt(e) == c) {
                    e++;
                }
                boolean acronym = Character.isUpperCase(c) && r > i && Character.isLowerCase(in.charAt(r - 1)); // "CharlottesvilleKKK"
                boolean wholeWord = r == i && e == wordEnd && !isWordChar(in, i - 1) && !isWordChar(in, wordEnd); // "zzz", "www"
                if (e - r >= 3 && !acronym && !wholeWord) {
                    runs.add(new int[]{r, e});
                }
                r = e;
            }
            if (!runs.isEmpty()) {
                int keepTwo = chooseDoubles(in, i, wordEnd, runs, vocabulary);
                if (out == null) {
                    out = new Mapped(n);
                }
                out.copy(in, copiedTo, i);
                int at = i;
                for (int r = 0; r < runs.size(); r++) {
                    int[] run = runs.get(r);
                    out.copy(in, at, run[0]);
                    int keep = (keepTwo >> r & 1) == 1 ? 2 : 1;
                    out.replace(in, run[0], run[1], String.valueOf(in.charAt(run[0])).repeat(keep));
                    removed += run[1] - run[0] - keep;
                    at = run[1];
                }
                out.copy(in, at, wordEnd);
                copiedTo = wordEnd;
            }
            i = wordEnd;
        }
        if (out == null) {
            return in;
        }
        out.copy(in, copiedTo, n);
        count(counts, Fold.REPEATS, removed);
        return out;
    }

    /** Bit r set: keep two of run r. The first combination that makes a vocabulary word, else none. */
    private static int chooseDoubles(Mapped in, int start, int end, List<int[]> runs, Set<String> vocabulary) {
        if (vocabulary.isEmpty() || runs.size() > 4) {
            return 0;
        }
        for (int mask = 0; mask < 1 << runs.size(); mask++) {
            StringBuilder w = new StringBuilder(end - start);
            int at = start;
            for (int r = 0; r < runs.size(); r++) {
                int[] run = runs.get(r);
                w.append(in.sb, at, run[0]);
                char c = in.charAt(run[0]);
                w.append(c);
                if ((mask >> r & 1) == 1) {
                    w.append(c);
                }
                at = run[1];
            }
            w.append(in.sb, at, end);
            if (isWordOf(w.toString().toLowerCase(Locale.ROOT), vocabulary)) {
                return mask;
            }
        }
        return 0;
    }

    /** In the vocabulary, or an inflection of a word in it ("assholes", "kissing", "stuffed"). */
    private static boolean isWordOf(String w, Set<String> vocabulary) {
        if (vocabulary.contains(w)) {
            return true;
        }
        for (String suffix : new String[]{"s", "es", "ed", "d", "ing", "er", "ers", "ly", "y"}) {
            if (w.length() > suffix.length() + 2 && w.endsWith(suffix) && vocabulary.contains(w.substring(0, w.length() - suffix.length()))) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------

    /** The detector returned by {@link #wrap(Scanner)}. */
    private static final class Normalizing implements Scanner {
        private final TextNormalizer normalizer;
        private final Scanner detector;

        Normalizing(TextNormalizer normalizer, Scanner detector) {
            this.normalizer = normalizer;
            this.detector = detector;
        }

        @Override
        public String name() {
            return detector.name();
        }

        @Override
        public ScanResult scan(ScanInput input) {
            Objects.requireNonNull(input, "input");
            return scanAll(List.of(input)).get(0);
        }

        @Override
        public void prefetch(ScanInput in) {
            String prompt = normalizer.normalize(in.prompt()).text();
            detector.prefetch(in.stage() == Stage.PROMPT ? ScanInput.prompt(prompt)
                    : ScanInput.output(prompt, normalizer.normalize(in.output()).text()));
        }

        @Override
        public List<ScanResult> scanAll(List<ScanInput> inputs) {
            Objects.requireNonNull(inputs, "inputs");
            List<ScanInput> normalized = new ArrayList<>(inputs.size());
            List<Normalized> judged = new ArrayList<>(inputs.size());
            for (ScanInput in : inputs) {
                Normalized prompt = normalizer.normalize(in.prompt());
                if (in.stage() == Stage.PROMPT) {
                    normalized.add(ScanInput.prompt(prompt.text()));
                    judged.add(prompt);
                } else {
                    Normalized output = normalizer.normalize(in.output());
                    normalized.add(ScanInput.output(prompt.text(), output.text()));
                    judged.add(output);
                }
            }
            List<ScanResult> results = inputs.size() == 1
                    ? List.of(detector.scan(normalized.get(0)))
                    : detector.scanAll(normalized);
            if (results == null || results.size() != inputs.size()) {
                return results; // the guard reports the mismatch as an ERROR
            }
            List<ScanResult> mapped = new ArrayList<>(results.size());
            for (int i = 0; i < results.size(); i++) {
                ScanResult r = results.get(i);
                Normalized n = judged.get(i);
                if (r == null || !n.changed()) {
                    mapped.add(r);
                    continue;
                }
                ScanResult.Builder b = ScanResult.builder(r.scanner(), r.stage()).decision(r.decision()).score(r.score())
                        .threshold(r.threshold()).label(r.label()).latency(r.latency()).error(r.error())
                        .errorMessage(r.errorMessage());
                r.attributes().forEach(b::attribute);
                b.attribute("normalized", "true");
                for (Evidence e : r.evidence()) {
                    b.evidence(n.toOriginal(e));
                }
                mapped.add(b.build());
            }
            return mapped;
        }

        @Override
        public void close() {
            detector.close();
        }

        @Override
        public String toString() {
            return "Normalizing{" + detector + ", " + normalizer + '}';
        }
    }

    /** Settings for a {@link TextNormalizer}; each setter validates at once. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private Set<Fold> folds = EnumSet.allOf(Fold.class);
        private Set<String> vocabulary = Set.of();

        private Builder() {
        }

        /** The scanner name in results; default {@value #DEFAULT_NAME}. */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /** Which folds to apply (default: all); they always run in {@link Fold} order. */
        public Builder folds(Set<Fold> folds) {
            Objects.requireNonNull(folds, "folds");
            for (Fold f : folds) {
                Objects.requireNonNull(f, "folds must not contain null");
            }
            this.folds = folds.isEmpty() ? EnumSet.noneOf(Fold.class) : EnumSet.copyOf(folds);
            return this;
        }

        /** All folds except these. */
        public Builder without(Fold... folds) {
            EnumSet<Fold> left = EnumSet.copyOf(this.folds.isEmpty() ? EnumSet.noneOf(Fold.class) : this.folds);
            for (Fold f : folds) {
                left.remove(Objects.requireNonNull(f, "folds"));
            }
            this.folds = left;
            return this;
        }

        /**
         * Words (any case; kept lower-cased) that let {@link Fold#SPACED_LETTERS} split joined
         * letters back into words ("t h i s t i m e" → "this time") and {@link Fold#REPEATS} keep a
         * double letter where the word has one ("suppppport" → "support"). Default: none (joined
         * letters stay one word, stretched letters become one). {@link #wordsOfTokenizer} reads
         * the whole-word entries of a WordPiece {@code tokenizer.json}, e.g. the encoder's own.
         */
        public Builder vocabulary(java.util.Collection<String> words) {
            Objects.requireNonNull(words, "vocabulary");
            java.util.HashSet<String> lower = new java.util.HashSet<>(words.size() * 2);
            for (String w : words) {
                lower.add(Objects.requireNonNull(w, "vocabulary must not contain null").toLowerCase(Locale.ROOT));
            }
            this.vocabulary = Set.copyOf(lower);
            return this;
        }

        public TextNormalizer build() {
            return new TextNormalizer(this);
        }
    }
}
