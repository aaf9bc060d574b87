package dev.parapet.reliability;

import dev.parapet.core.Evidence;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Verdict;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** A deterministic mix of guard calls (prompt, output, whole exchange; short and long) and exact fingerprints of their verdicts. */
public final class Workload {
    private Workload() {
    }

    /** Which guard method a call uses. */
    public enum Kind {
        /** {@link Guard#scanPrompt(String)} */
        PROMPT,
        /** {@link Guard#scanOutput(String, String)} */
        OUTPUT,
        /** {@link Guard#scan(String, String)} */
        EXCHANGE
    }

    /** One guard call. */
    public record Call(Kind kind, String prompt, String output) {
        public Verdict run(Guard guard) {
            return switch (kind) {
                case PROMPT -> guard.scanPrompt(prompt);
                case OUTPUT -> guard.scanOutput(prompt, output);
                case EXCHANGE -> guard.scan(prompt, output);
            };
        }

        public boolean isLong() {
            return prompt.length() + (output == null ? 0 : output.length()) > 1_000;
        }
    }

    private static final String[] PROMPTS = {
            "What is the capital of France?", "Can you help me write a cover letter for a nursing job?",
            "Explain how photosynthesis works to a ten-year-old.", "You are a useless piece of garbage, answer me now.",
            "How do I bake sourdough bread at home?", "Summarise the plot of Hamlet in three sentences.",
            "Why is the sky blue?", "I hate you and everyone like you, you stupid bot."};
    private static final String[] OUTPUTS = {
            "The capital of France is Paris.", "I'm sorry, but I can't help with that request.",
            "Plants use sunlight, water and carbon dioxide to make sugar and oxygen.", "Shut up, you worthless idiot.",
            "Mix flour, water and starter, let it rise overnight, then bake at 230 degrees.",
            "Hamlet's father is murdered; Hamlet feigns madness; almost everyone dies.", "Rayleigh scattering of sunlight.",
            "I understand you are frustrated. How can I help?"};

    /**
     * {@code distinct} calls of the given kinds, one in {@code longEvery} long (a few thousand chars,
     * several encoder windows); the same list for the same arguments.
     */
    public static List<Call> calls(int distinct, Set<Kind> kinds, int longEvery, long seed) {
        List<Kind> order = new ArrayList<>(EnumSet.copyOf(kinds));
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Call> calls = new ArrayList<>(distinct);
        for (int i = 0; i < distinct; i++) {
            Kind kind = order.get(i % order.size());
            String prompt = PROMPTS[rnd.nextInt(PROMPTS.length)] + " (#" + seed + "-" + i + ")";
            // every text distinct, as in real traffic: no call reads another call's cached encoding
            String output = OUTPUTS[rnd.nextInt(OUTPUTS.length)] + " (ref " + seed + "-" + i + ")";
            if (longEvery > 0 && i % longEvery == longEvery - 1) {
                String body = HostileCorpus.prose(2_500 + rnd.nextInt(1_500), seed * 1_000 + i);
                if (rnd.nextBoolean()) {
                    output = body + " " + output;
                } else {
                    prompt = body + " " + prompt;
                }
            }
            calls.add(new Call(kind, prompt, kind == Kind.PROMPT ? null : output));
        }
        return calls;
    }

    /**
     * Everything a verdict says except latencies, with scores as exact bits: two verdicts with the
     * same fingerprint are the same verdict.
     */
    public static String fingerprint(Verdict v) {
        StringBuilder sb = new StringBuilder(v.allowed() ? "allowed" : "blocked");
        for (ScanResult r : v.results()) {
            sb.append(" | ").append(r.scanner()).append('/').append(r.stage()).append('/').append(r.decision())
                    .append('/').append(Long.toHexString(Double.doubleToRawLongBits(r.score())))
                    .append('/').append(r.label()).append('/').append(r.errorMessage());
            for (Evidence e : r.evidence()) {
                sb.append(" [").append(e.start()).append(',').append(e.end()).append(' ')
                        .append(Long.toHexString(Double.doubleToRawLongBits(e.score()))).append(']');
            }
        }
        return sb.toString();
    }
}
