package dev.parapet.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Deterministic, distinct texts for the default-model benchmarks, built from {@link ShortTexts} and
 * a few assistant-style sentences written for these benchmarks. No randomness, no files.
 *
 * <p>Why distinct: the default models share one encoder through {@code SharedTextEncoder}, whose memo
 * (256 texts) returns a text it has seen recently without running the encoder. A benchmark that
 * cycled through fewer texts would time memo hits, not encoder work. Every pool here is much larger
 * than the memo and is walked in order, so a text comes back only after thousands of others.
 */
final class BenchTexts {
    /** Sentences of a plausible assistant answer; combined four at a time into outputs. */
    static final List<String> ANSWER_SENTENCES = List.of(
            "Sure, here is a short overview of the main points.",
            "The first step is to back up your data before you change any settings.",
            "Most people find that a steady routine helps more than occasional bursts of effort.",
            "In Java, an ArrayList grows by about half its capacity when it runs out of room.",
            "The train from Lisbon to Porto takes roughly three hours and leaves every hour.",
            "You can substitute mashed banana or applesauce for eggs in most pancake recipes.",
            "If the problem persists, clearing the application cache usually resolves it.",
            "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.",
            "A Roth IRA is funded with taxed income, so qualified withdrawals are tax free.",
            "I would recommend starting with the official documentation and a small example project.",
            "The boiling point of water drops by about one degree Celsius for every three hundred metres of altitude.",
            "Let me know if you would like a more detailed explanation of any of these steps.",
            "The museum is open from ten until six and is closed on Mondays.",
            "A regular expression for an IPv4 address has to check each of the four numbers separately.",
            "Noise cancelling headphones play a sound wave that is the inverse of the noise they pick up.",
            "Keep the receipt, because the airline will ask for it when you claim compensation.",
            "Sourdough that comes out dense often needs a longer bulk fermentation at a warmer temperature.",
            "The meeting invite has been moved to three in the afternoon and the room stays the same.",
            "For a week in the Alps, pack layers, a rain jacket, sturdy boots and a first aid kit.",
            "TCP guarantees delivery and ordering, while UDP sends datagrams without either guarantee.",
            "Here is a polite way to decline while leaving the door open for future invitations.",
            "The capital of Australia is Canberra, not Sydney, which surprises many people.",
            "An idempotent HTTP method has the same effect whether it is called once or many times.",
            "I hope this helps, and good luck with your project.");

    /** All single texts and ordered pairs of distinct {@link ShortTexts}: 64 + 64 * 63 = 4,096 short texts, 2 to about 50 tokens. */
    static final List<String> SHORT_POOL = shortPool();

    private BenchTexts() {
    }

    private static List<String> shortPool() {
        List<String> all = ShortTexts.ALL;
        List<String> pool = new ArrayList<>(all.size() * all.size());
        pool.addAll(all);
        // interleave so that consecutive texts differ in length, as real traffic does
        for (int j = 1; j < all.size(); j++) {
            for (int i = 0; i < all.size(); i++) {
                pool.add(all.get(i) + " " + all.get((i + j) % all.size()));
            }
        }
        return List.copyOf(pool);
    }

    /** {@code count} distinct short texts starting at {@code from} in {@link #SHORT_POOL}, wrapping around. */
    static List<String> shortTexts(int from, int count) {
        if (count > SHORT_POOL.size()) {
            throw new IllegalArgumentException("at most " + SHORT_POOL.size() + " distinct short texts, asked for " + count);
        }
        List<String> out = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            out.add(SHORT_POOL.get(Math.floorMod(from + k, SHORT_POOL.size())));
        }
        return out;
    }

    /**
     * The first {@code n} values of {@code field} in a JSON Lines file, or {@code n} generated answers
     * ({@link #answer}) when {@code data} is empty.
     */
    static List<String> fieldOrAnswers(String data, String field, int n) throws IOException {
        List<String> texts = new ArrayList<>();
        if (data.isEmpty()) {
            for (int i = 0; i < n; i++) {
                texts.add(answer(i));
            }
            return texts;
        }
        for (String line : Files.readAllLines(Path.of(data), StandardCharsets.UTF_8)) {
            if (!line.isBlank() && texts.size() < n) {
                texts.add(com.google.gson.JsonParser.parseString(line).getAsJsonObject().get(field).getAsString());
            }
        }
        return texts;
    }

    /** A model answer of four sentences (about 60 to 80 tokens); distinct for each {@code i} below 24 * 23 * 24 = 13,248. */
    static String answer(int i) {
        int n = ANSWER_SENTENCES.size();
        int a = Math.floorMod(i, n);
        int b = (a + 1 + Math.floorMod(i / n, n - 1)) % n;
        int c = Math.floorMod(i / (n * (n - 1)), n);
        int d = (a + n / 2) % n;
        return ANSWER_SENTENCES.get(a) + " " + ANSWER_SENTENCES.get(b) + " " + ANSWER_SENTENCES.get(c) + " " + ANSWER_SENTENCES.get(d);
    }

    /** The prompt of exchange {@code i}: a short user message. */
    static String prompt(int i) {
        return SHORT_POOL.get(Math.floorMod(i, SHORT_POOL.size()));
    }

    /**
     * A long text of about {@code words} words, from all the sentences above in an order that
     * depends on {@code seed}, so that texts with different seeds differ from the first sentence on.
     */
    static String longText(int words, int seed) {
        List<String> sentences = new ArrayList<>(ShortTexts.ALL);
        sentences.addAll(ANSWER_SENTENCES);
        int n = sentences.size();
        // a step coprime with n walks every sentence once per cycle
        int step = 1 + 2 * Math.floorMod(seed, 20);
        while (gcd(step, n) != 1) {
            step += 2;
        }
        StringBuilder sb = new StringBuilder(words * 7);
        int count = 0;
        int k = Math.floorMod(seed * 31, n);
        int cycle = 0;
        while (count < words) {
            String s = sentences.get(k);
            sb.append(sb.length() == 0 ? "" : " ").append(s);
            count += s.split(" ").length;
            k = (k + step) % n;
            if (++cycle % n == 0) {
                k = (k + 1) % n;
            }
        }
        return sb.toString();
    }

    /** {@code count} distinct long texts of about {@code words} words each. */
    static List<String> longTexts(int count, int words, int firstSeed) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(longText(words, firstSeed + i));
        }
        return out;
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
