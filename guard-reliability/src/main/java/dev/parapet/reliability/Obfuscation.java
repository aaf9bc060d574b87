package dev.parapet.reliability;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * The evasions measured in docs/reliability.md: ways to keep a word readable for a person while
 * changing what a model sees. Each is deterministic for a given seed, so a run is repeatable.
 */
public enum Obfuscation {
    /** The text as it is. */
    CLEAN("clean"),
    /** Half of the letters that have one swapped for a Cyrillic, Greek or Armenian look-alike. */
    HOMOGLYPHS("homoglyphs (Cyrillic/Greek)"),
    /** Every word of two or more letters split by zero-width characters (U+200B/C/D, U+2060, U+FEFF). */
    ZERO_WIDTH("zero-width inside words"),
    /** 60% of the letters that have one replaced by a l33t digit or symbol. */
    LEET("l33t"),
    /** Half of the words of three or more letters written s p a c e d. */
    SPACED("spaced letters"),
    /** Half of the words of three or more letters with one letter stretched to 3-5 copies. */
    REPEATS("repeated letters"),
    /** Extra: every letter as a fullwidth or mathematical letter (NFKC's job). */
    FULLWIDTH("fullwidth / math letters (extra)"),
    /** Extra: blank fillers that are letters, not format characters (U+3164, U+115F), inside words. */
    FILLERS("Hangul-filler 'spaces' inside words (extra)");

    private final String label;

    Obfuscation(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    private static final Map<Character, String> HOMOGLYPH = Map.ofEntries(
            Map.entry('a', "аαɑ"), Map.entry('c', "сϲ"), Map.entry('d', "ԁ"), Map.entry('e', "е"), Map.entry('g', "ɡց"),
            Map.entry('h', "һ"), Map.entry('i', "іι"), Map.entry('j', "ј"), Map.entry('l', "ӏ"), Map.entry('n', "ո"),
            Map.entry('o', "оοօ"), Map.entry('p', "рρ"), Map.entry('q', "ԛ"), Map.entry('s', "ѕ"), Map.entry('u', "υս"),
            Map.entry('v', "ν"), Map.entry('w', "ԝ"), Map.entry('x', "хχ"), Map.entry('y', "уγ"),
            Map.entry('A', "АΑ"), Map.entry('B', "ВΒ"), Map.entry('C', "С"), Map.entry('E', "ЕΕ"), Map.entry('H', "НΗ"),
            Map.entry('I', "ІΙ"), Map.entry('J', "Ј"), Map.entry('K', "КΚ"), Map.entry('M', "МΜ"), Map.entry('N', "Ν"),
            Map.entry('O', "ОΟ"), Map.entry('P', "РΡ"), Map.entry('S', "Ѕ"), Map.entry('T', "ТΤ"), Map.entry('X', "ХΧ"),
            Map.entry('Y', "ΥУ"), Map.entry('Z', "Ζ"));

    private static final Map<Character, String> LEET_SUBS = Map.of(
            'a', "4@", 'e', "3", 'i', "1!", 'o', "0", 's', "5$", 't', "7", 'g', "9", 'b', "8");

    private static final char[] ZERO_WIDTH_CHARS = {'\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF'};
    private static final char[] FILLER_CHARS = {'\u3164', '\u115F'};

    /** The obfuscated text; {@code seed} picks the random choices (use one per row). */
    public String apply(String text, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed * 31 + ordinal());
        return switch (this) {
            case CLEAN -> text;
            case HOMOGLYPHS -> perChar(text, rnd, HOMOGLYPH, 0.5);
            case LEET -> leet(text, rnd);
            case ZERO_WIDTH -> insideWords(text, rnd, ZERO_WIDTH_CHARS);
            case FILLERS -> insideWords(text, rnd, FILLER_CHARS);
            case SPACED -> spaced(text, rnd);
            case REPEATS -> repeats(text, rnd);
            case FULLWIDTH -> fullwidth(text, rnd);
        };
    }

    private static String perChar(String text, SplittableRandom rnd, Map<Character, String> subs, double p) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String options = subs.get(c);
            if (options != null && rnd.nextDouble() < p) {
                int k = rnd.nextInt(options.codePointCount(0, options.length()));
                sb.appendCodePoint(options.codePointAt(options.offsetByCodePoints(0, k)));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String leet(String text, SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String options = LEET_SUBS.get(Character.toLowerCase(c));
            if (options != null && rnd.nextDouble() < 0.6) {
                sb.append(options.charAt(rnd.nextInt(options.length())));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Calls {@code word} for each maximal run of ASCII letters, copying everything else. */
    private interface WordRewriter {
        void rewrite(StringBuilder out, String word);
    }

    private static String words(String text, WordRewriter rewriter) {
        StringBuilder sb = new StringBuilder(text.length() * 2);
        int i = 0;
        while (i < text.length()) {
            if (!Character.isLetter(text.charAt(i))) {
                sb.append(text.charAt(i++));
                continue;
            }
            int end = i;
            while (end < text.length() && Character.isLetter(text.charAt(end))) {
                end++;
            }
            rewriter.rewrite(sb, text.substring(i, end));
            i = end;
        }
        return sb.toString();
    }

    private static String insideWords(String text, SplittableRandom rnd, char[] inserts) {
        return words(text, (out, w) -> {
            if (w.length() < 2) {
                out.append(w);
                return;
            }
            int forced = 1 + rnd.nextInt(w.length() - 1); // at least one per word
            out.append(w.charAt(0));
            for (int k = 1; k < w.length(); k++) {
                if (k == forced || rnd.nextDouble() < 0.5) {
                    out.append(inserts[rnd.nextInt(inserts.length)]);
                }
                out.append(w.charAt(k));
            }
        });
    }

    private static String spaced(String text, SplittableRandom rnd) {
        return words(text, (out, w) -> {
            if (w.length() >= 3 && rnd.nextDouble() < 0.5) {
                for (int k = 0; k < w.length(); k++) {
                    if (k > 0) {
                        out.append(' ');
                    }
                    out.append(w.charAt(k));
                }
            } else {
                out.append(w);
            }
        });
    }

    private static String repeats(String text, SplittableRandom rnd) {
        return words(text, (out, w) -> {
            if (w.length() >= 3 && rnd.nextDouble() < 0.5) {
                int at = rnd.nextInt(w.length());
                int copies = 3 + rnd.nextInt(3);
                out.append(w, 0, at);
                for (int k = 0; k < copies; k++) {
                    out.append(w.charAt(at));
                }
                out.append(w, at + 1, w.length());
            } else {
                out.append(w);
            }
        });
    }

    private static String fullwidth(String text, SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder(text.length() * 2);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean lower = c >= 'a' && c <= 'z';
            boolean upper = c >= 'A' && c <= 'Z';
            if (!lower && !upper) {
                sb.append(c);
                continue;
            }
            switch (rnd.nextInt(3)) {
                case 0 -> sb.append((char) (c - (lower ? 'a' : 'A') + (lower ? 0xFF41 : 0xFF21)));      // fullwidth
                case 1 -> sb.appendCodePoint((lower ? 0x1D41A : 0x1D400) + (c - (lower ? 'a' : 'A'))); // mathematical bold
                default -> sb.appendCodePoint((lower ? 0x1D5EE : 0x1D5D4) + (c - (lower ? 'a' : 'A'))); // sans-serif bold
            }
        }
        return sb.toString();
    }
}
