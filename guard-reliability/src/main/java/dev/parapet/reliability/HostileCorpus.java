package dev.parapet.reliability;

import dev.parapet.core.InputLimits;

import java.nio.ByteBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Inputs chosen to break a text pipeline: sizes at and past the limit, invalid UTF-16, control and
 * format characters, mark floods, emoji sequences, token-dense and token-free text. Each case says
 * what a guard must return for it. Texts are built on demand (the large ones are megabytes) and
 * are the same on every run.
 */
public final class HostileCorpus {
    private HostileCorpus() {
    }

    /** What the guard must return for a case. */
    public enum Expect {
        /** A verdict from the scanners: every result PASSED or FLAGGED, none ERROR. */
        VERDICT,
        /** The documented {@code input-limits} result: FLAGGED, blocked, the scanners SKIPPED. */
        LIMIT
    }

    /**
     * One hostile text.
     *
     * @param name   short id, used in test names and the docs table
     * @param what   what the text is
     * @param text   builds the text
     * @param expect what the guard must return
     * @param heavy  true when scanning it with the default models takes minutes (the 1 MB case)
     */
    public record Case(String name, String what, Supplier<String> text, Expect expect, boolean heavy) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** One mebibyte of chars: exactly {@link InputLimits#DEFAULT_MAX_PROMPT_CHARS}, the largest text the defaults accept. */
    public static final int ONE_MB = InputLimits.DEFAULT_MAX_PROMPT_CHARS;
    /** Ten mebibytes: ten times the default limit. */
    public static final int TEN_MB = 10 * ONE_MB;

    public static List<Case> cases() {
        return List.of(
                new Case("empty", "the empty string", () -> "", Expect.VERDICT, false),
                new Case("whitespace", "spaces, tabs, line breaks, NBSP, em and ideographic spaces only",
                        () -> " \t\n\r\u00A0\u2003\u3000 ".repeat(64), Expect.VERDICT, false),
                new Case("prose-1mb", "1,048,576 chars of ordinary sentences: exactly the default limit",
                        () -> prose(ONE_MB, 1), Expect.VERDICT, true),
                new Case("prose-10mb", "10,485,760 chars of ordinary sentences: ten times the default limit",
                        () -> prose(TEN_MB, 2), Expect.LIMIT, false),
                new Case("lone-surrogates", "lone high and low surrogates, a reversed pair, surrogates at both ends",
                        () -> "\uD800 lone high, lone low \uDC00, reversed \uDC00\uD800, " + "\uDBFF".repeat(100) + " ok \uDFFF",
                        Expect.VERDICT, false),
                new Case("control-chars", "NUL and every C0/C1 control character, 1,000 NULs, DEL",
                        HostileCorpus::controls, Expect.VERDICT, false),
                new Case("bidi-overrides", "RLO/LRO/PDF, isolates and marks around and inside words (Trojan Source)",
                        () -> "access \u202Elevel = \"user\u202C \u2066// admin\u2069\u2067 check\u2069 \u200F\u200E".repeat(40),
                        Expect.VERDICT, false),
                new Case("zwj-split-words", "zero-width joiners and spaces between every letter of every word",
                        () -> splitWords("you are a worthless idiot and everyone hates you. ".repeat(20)), Expect.VERDICT, false),
                new Case("combining-flood", "one letter under 10,000 combining marks, zalgo words, 5,000 marks with no base",
                        () -> "e" + "\u0301".repeat(10_000) + " z\u0337\u0322a\u0335\u031Bl\u0336g\u0338o ".repeat(200)
                                + "\u0300".repeat(5_000), Expect.VERDICT, false),
                new Case("emoji-zwj", "600 emoji ZWJ sequences: families, professions, flags, skin tones, tag flags",
                        () -> "👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 ❤️‍🔥 🧑🏿‍🚀 🏴\uDB40\uDC67\uDB40\uDC62\uDB40\uDC65\uDB40\uDC6E\uDB40\uDC67\uDB40\uDC7F ".repeat(100),
                        Expect.VERDICT, false),
                new Case("newlines-50k", "50,000 line feeds", () -> "\n".repeat(50_000), Expect.VERDICT, false),
                new Case("random-utf8", "8 KiB of random bytes decoded as UTF-8 (malformed sequences become U+FFFD)",
                        () -> randomUtf8(8 * 1024, 3), Expect.VERDICT, false),
                new Case("one-token-100k", "a single 100,000-char token with no space",
                        () -> "a".repeat(100_000), Expect.VERDICT, false),
                new Case("mixed-tricks", "a sentence carrying all of the above at once",
                        () -> "Ｙ\u200Bо\u202Eu\u0301\u0301\u0301 \uD800аrе 4 w\u0000orthl3ss\u2066 1d10t 👩‍💻 \n\n\n", Expect.VERDICT, false));
    }

    /** {@code chars} chars of ordinary English sentences, deterministic for a seed. */
    public static String prose(int chars, long seed) {
        String[] subjects = {"The library", "Our team", "The river", "A small bakery", "The committee", "My neighbour", "The new train",
                "This recipe", "The museum", "The weather report"};
        String[] verbs = {"opens", "shipped", "runs", "sells", "discussed", "painted", "arrives", "needs", "shows", "promised"};
        String[] objects = {"at nine on weekdays", "a release after a week of testing", "past old stone bridges",
                "fresh bread every morning", "the budget for next year", "the fence a pale blue", "two minutes early",
                "a pinch of salt", "maps from the last century", "sunshine for the weekend"};
        SplittableRandom rnd = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(chars + 100);
        while (sb.length() < chars) {
            sb.append(subjects[rnd.nextInt(subjects.length)]).append(' ').append(verbs[rnd.nextInt(verbs.length)]).append(' ')
                    .append(objects[rnd.nextInt(objects.length)]).append(rnd.nextInt(8) == 0 ? ".\n" : ". ");
        }
        sb.setLength(chars);
        return sb.toString();
    }

    private static String controls() {
        StringBuilder sb = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            sb.append("x").append(c).append("y ");
        }
        sb.append('\u007F');
        for (char c = 0x80; c < 0xA0; c++) {
            sb.append(c);
        }
        sb.append("\u0000".repeat(1_000)).append(" the end");
        return sb.toString();
    }

    private static String splitWords(String text) {
        StringBuilder sb = new StringBuilder(text.length() * 2);
        char[] zw = {'\u200D', '\u200B', '\u200C', '\u2060'};
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            sb.append(c);
            if (Character.isLetter(c) && i + 1 < text.length() && Character.isLetter(text.charAt(i + 1))) {
                sb.append(zw[i % zw.length]);
            }
        }
        return sb.toString();
    }

    /** Random bytes decoded as UTF-8 the way a lenient reader would: malformed input becomes U+FFFD. */
    public static String randomUtf8(int bytes, long seed) {
        byte[] b = new byte[bytes];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) rnd.nextInt(256);
        }
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            return d.decode(ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException("REPLACE never throws", e);
        }
    }
}
